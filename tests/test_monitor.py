"""The kernel monitor (lib/monitor.c): the console a boot without `ktest=` ends in.

Each test boots to the prompt, types over the serial line (waiting for the
prompt before every line, as a person would), and ends the run with
`poweroff`, so a monitor that stops answering shows up as a hang.
"""
import re
import time

import pytest

import harness

COMMANDS = ("help", "info", "backtrace", "poweroff")
HELP_LINE_RE = re.compile(r"^  (\S+)\s+\S.*$", re.MULTILINE)


def help_commands(text):
    """The command names listed by 'help' output."""
    return [m.group(1) for m in HELP_LINE_RE.finditer(text)]


def talk(arch, boot, lines, cmdline="", final="poweroff"):
    """Boot to the monitor, run each of `lines` and then `final`; returns
    (BootResult, [what each line printed])."""
    printed = []

    def session(console):
        for line in lines:
            printed.append(console.monitor(line))
        console.command(final)

    return boot(arch, cmdline, send=session), printed


def test_greeting_and_prompt(arch, boot):
    """Without ktest= the kernel starts the monitor: the hint, then the prompt."""
    r, _ = talk(arch, boot, [])
    harness.check(r, "ok")
    harness.require(r, "Type 'help' for the list of commands.\nduet> ", "no greeting and prompt")


def test_help_lists_the_commands(arch, boot):
    """'help' lists help, info, backtrace and poweroff, one per line with its
    description."""
    r, (out,) = talk(arch, boot, ["help"])
    harness.check(r, "ok")
    listed = help_commands(out)
    for name in COMMANDS:
        assert name in listed, r.report(f"'help' does not list '{name}': it printed {out!r}")


def test_unknown_command_then_still_works(arch, boot):
    """An unknown command prints an error naming it, and the monitor keeps
    going: the next command works and the run ends normally."""
    r, (bad, good) = talk(arch, boot, ["frobnicate now", "help"])
    harness.check(r, "ok")
    assert bad == "error: unknown command 'frobnicate' (try 'help')\n", \
        r.report(f"unexpected reply to an unknown command: {bad!r}")
    assert "poweroff" in help_commands(good), \
        r.report(f"'help' after the error printed {good!r}")


def test_line_editing(arch, boot):
    """Backspace (BS, 0x08) and DEL (0x7f, what terminals send) erase the
    last character and Ctrl-U the whole line, so the corrected line runs."""
    r, (bs, dele, ctrl_u) = talk(arch, boot, ["hepl\b\blp", "infx\x7fo", "garbage\x15help"])
    harness.check(r, "ok")
    assert "unknown command" not in r.log, r.report("an edited line ran as typed")
    assert "poweroff" in help_commands(bs), r.report(f"'hepl' BS BS 'lp' printed {bs!r}")
    assert f"Duet kernel on {arch}" in dele, r.report(f"'infx' DEL 'o' printed {dele!r}")
    assert "poweroff" in help_commands(ctrl_u), \
        r.report(f"'garbage' Ctrl-U 'help' printed {ctrl_u!r}")


def test_info_prints_the_banner(arch, boot):
    """'info' prints the boot banner again, with this boot's command line."""
    r, (out,) = talk(arch, boot, ["info"], cmdline="monitor-info-probe=42")
    harness.check(r, "ok")
    for want in (f"Duet kernel on {arch}\n", "  cmdline: monitor-info-probe=42\n",
                 "  layout (virtual):\n", "    pmo      0xffff800000000000-"):
        assert want in out, r.report(f"'info' did not print {want!r}; it printed {out!r}")


def test_backtrace_command(arch, boot):
    """'backtrace' prints the monitor's own call stack, symbolized, from the
    command down to kmain."""
    r, (out,) = talk(arch, boot, ["backtrace"])
    harness.check(r, "ok")
    assert out.startswith("Backtrace:\n"), r.report(f"'backtrace' printed {out!r}")
    names = re.findall(r"^  #\d+\s+0x[0-9a-f]{16} (\w+)\+0x[0-9a-f]+$", out, re.MULTILINE)
    for fn in ("monitor_execute", "monitor_run", "kmain"):
        assert fn in names, r.report(f"'{fn}' is not in the backtrace: {out!r}")


def test_poweroff_with_status(arch, boot):
    """'poweroff 7' ends QEMU with status 7; an out-of-range status is
    refused with an error and the monitor keeps running."""
    r, (refused,) = talk(arch, boot, ["poweroff 101"], final="poweroff 7")
    harness.check(r, "ok", expect_status=7)
    assert refused.startswith("error: poweroff: status must be a number"), \
        r.report(f"'poweroff 101' printed {refused!r}")
    harness.require(r, "Powering off (status 7).", "no poweroff message")


@pytest.mark.per_arch("method", {"x86_64": ["grub", "direct"], "aarch64": ["direct"]})
def test_what_is_typed_before_the_prompt_is_kept(arch, method, boot):
    """Type-ahead: lines typed while the kernel boots, before the first
    prompt, are all read, first byte included (x86_64 once dropped the first
    byte and left the rest waiting in QEMU, hanging at the prompt), through
    GRUB (`make run`) and booted directly."""
    def type_ahead(console):
        console.send("help\npoweroff 7\n")

    r = boot(arch, send=type_ahead, boot_method=method)
    harness.check(r, "ok", expect_status=7)
    harness.require(r, "duet> help\n", "the first line typed ahead, whole")
    assert "run" in help_commands(r.log), r.report("help did not list its commands")


UPTIME_RE = re.compile(r"^up (\d+)\.(\d{6}) s$", re.MULTILINE)


def test_uptime_keeps_the_hosts_time(arch, boot):
    """`uptime` reads the monotonic clock (kernel/clock.c): across three
    seconds of the host's own clock it advances by them, within 3% plus the
    console's round trips, so a counter rate measured or read wrongly
    shows (x86_64 measures the TSC against the PIT; AArch64 reads
    CNTFRQ_EL0)."""
    marks = {}

    def session(console):
        console.monitor("uptime")               # the boot is over: the prompt came back
        marks["before_first"] = time.monotonic()
        marks["first"] = console.monitor("uptime")
        marks["after_first"] = time.monotonic()
        time.sleep(3.0)
        marks["before_second"] = time.monotonic()
        marks["second"] = console.monitor("uptime")
        marks["after_second"] = time.monotonic()
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    guest = []
    for key in ("first", "second"):
        m = UPTIME_RE.search(marks[key])
        assert m, r.report(f"uptime printed {marks[key]!r}")
        guest.append(int(m.group(1)) + int(m.group(2)) / 1e6)
    moved = guest[1] - guest[0]
    least = marks["before_second"] - marks["after_first"]
    most = marks["after_second"] - marks["before_first"]
    assert least * 0.97 - 0.02 <= moved <= most * 1.03 + 0.02, \
        r.report(f"the guest's clock moved {moved:.3f} s while the host's moved between "
                 f"{least:.3f} and {most:.3f} s")


THREAD_LINE_RE = re.compile(r"^\s+(\d+)  (\S+)\s+(running|runnable|blocked|dead)\s+"
                            r"0x([0-9a-f]{16})-0x([0-9a-f]{16})", re.MULTILINE)


def test_threads_lists_boot_and_idle(arch, boot):
    """`threads` (kernel/sched.c) lists the boot thread, which runs the
    monitor, on the boot stack, and the idle thread, runnable, on a 16 KiB
    stack in the kernel-stack region."""
    r, (out,) = talk(arch, boot, ["threads"])
    harness.check(r, "ok")
    rows = {m.group(2): m.groups() for m in THREAD_LINE_RE.finditer(out)}
    assert set(rows) == {"boot", "idle"}, r.report(f"`threads` printed {out!r}")
    assert rows["boot"][0] == "0" and rows["boot"][2] == "running", \
        r.report(f"the boot thread: {rows['boot']}")
    assert rows["idle"][2] == "runnable", r.report(f"the idle thread: {rows['idle']}")
    bottom, top = int(rows["idle"][3], 16), int(rows["idle"][4], 16)
    assert 0xFFFF_E000_0000_0000 <= bottom and top - bottom == 16 * 1024, \
        r.report(f"idle's stack 0x{bottom:x}-0x{top:x}")
