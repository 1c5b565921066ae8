"""The kernel monitor (lib/monitor.c): the console a boot without `ktest=` ends in.

The tests of the commands read one session per arch (per pytest run, shared
by the xdist workers through harness.once_per_run): one boot that types
every test's lines at the prompt, in turn, waiting for the prompt before
each as a person would, and ends with `poweroff 7`, so a monitor that stops
answering shows up as a hang, and a command that breaks the monitor shows
in every test that comes after it in the session. Each test checks what
its own lines printed. Type-ahead, which must type before the first
prompt, boots on its own.
"""
import re
import time

import pytest

import harness

COMMANDS = ("help", "info", "backtrace", "poweroff")
HELP_LINE_RE = re.compile(r"^  (\S+)\s+\S.*$", re.MULTILINE)
UPTIME_RE = re.compile(r"^up (\d+)\.(\d{6}) s$", re.MULTILINE)

# The session's command line ('info' must print it) and its lines, by the
# name the tests read them under; "uptime-1" comes first (the boot is over
# once its prompt came back), "uptime-2" UPTIME_INTERVAL seconds of the
# host's clock after it, the other lines in between.
SESSION_CMDLINE = "monitor-info-probe=42"
SESSION_LINES = (("help", "help"), ("unknown", "frobnicate now"), ("after-unknown", "help"),
                 ("edit-bs", "hepl\b\blp"), ("edit-del", "infx\x7fo"),
                 ("edit-ctrl-u", "garbage\x15help"), ("info", "info"),
                 ("backtrace", "backtrace"), ("threads", "threads"),
                 ("poweroff-101", "poweroff 101"))
SESSION_STATUS = 7                      # its last line: poweroff 7
UPTIME_INTERVAL = 1.0                   # seconds of the host's clock between the uptimes
UPTIME_TOLERANCE = (0.03, 0.01)         # the guest's clock within 3% plus 10 ms of the host's


def help_commands(text):
    """The command names listed by 'help' output."""
    return [m.group(1) for m in HELP_LINE_RE.finditer(text)]


def run_session(arch):
    """Boot, type SESSION_LINES between the two uptimes, then `poweroff 7`;
    -> (BootResult, {name: what the line printed}, {mark: host time})."""
    printed, marks = {}, {}

    def session(console):
        console.monitor("uptime")
        marks["before_first"] = time.monotonic()
        printed["uptime-1"] = console.monitor("uptime")
        marks["after_first"] = time.monotonic()
        printed["irqs-1"] = console.monitor("irqs")
        for name, line in SESSION_LINES:
            printed[name] = console.monitor(line)
        time.sleep(max(0.0, marks["after_first"] + UPTIME_INTERVAL - time.monotonic()))
        printed["irqs-2"] = console.monitor("irqs")
        marks["before_second"] = time.monotonic()
        printed["uptime-2"] = console.monitor("uptime")
        marks["after_second"] = time.monotonic()
        console.command(f"poweroff {SESSION_STATUS}")

    r = harness.boot(arch, SESSION_CMDLINE, send=session, log_name=f"session.{arch}.monitor")
    return r, printed, marks


@pytest.fixture
def monitor_session(arch):
    """(BootResult, printed, marks) of this arch's session, checked: it
    ended with `poweroff 7` after every line."""
    harness.require_build(arch)
    r, printed, marks = harness.once_per_run(("monitor-session", arch), lambda: run_session(arch))
    harness.check(r, "ok", expect_status=SESSION_STATUS)
    return r, printed, marks


def test_greeting_and_prompt(arch, monitor_session):
    """Without ktest= the kernel starts the monitor: the hint, then the prompt."""
    r, _, _ = monitor_session
    harness.require(r, "Type 'help' for the list of commands.\nduet> ", "no greeting and prompt")


def test_help_lists_the_commands(arch, monitor_session):
    """'help' lists help, info, backtrace and poweroff, one per line with its
    description."""
    r, printed, _ = monitor_session
    listed = help_commands(printed["help"])
    for name in COMMANDS:
        assert name in listed, r.report(f"'help' does not list '{name}': it printed "
                                        f"{printed['help']!r}")


def test_unknown_command_then_still_works(arch, monitor_session):
    """An unknown command prints an error naming it, and the monitor keeps
    going: the next command works and the run ends normally."""
    r, printed, _ = monitor_session
    bad, good = printed["unknown"], printed["after-unknown"]
    assert bad == "error: unknown command 'frobnicate' (try 'help')\n", \
        r.report(f"unexpected reply to an unknown command: {bad!r}")
    assert "poweroff" in help_commands(good), \
        r.report(f"'help' after the error printed {good!r}")


def test_line_editing(arch, monitor_session):
    """Backspace (BS, 0x08) and DEL (0x7f, what terminals send) erase the
    last character and Ctrl-U the whole line, so the corrected line runs."""
    r, printed, _ = monitor_session
    bs, dele, ctrl_u = printed["edit-bs"], printed["edit-del"], printed["edit-ctrl-u"]
    for out in (bs, dele, ctrl_u):
        assert "unknown command" not in out, r.report(f"an edited line ran as typed: {out!r}")
    assert "poweroff" in help_commands(bs), r.report(f"'hepl' BS BS 'lp' printed {bs!r}")
    assert f"Duet kernel on {arch}" in dele, r.report(f"'infx' DEL 'o' printed {dele!r}")
    assert "poweroff" in help_commands(ctrl_u), \
        r.report(f"'garbage' Ctrl-U 'help' printed {ctrl_u!r}")


def test_info_prints_the_banner(arch, monitor_session):
    """'info' prints the boot banner again, with this boot's command line."""
    r, printed, _ = monitor_session
    out = printed["info"]
    for want in (f"Duet kernel on {arch}\n", f"  cmdline: {SESSION_CMDLINE}\n",
                 "  layout (virtual):\n", "    pmo      0xffff800000000000-"):
        assert want in out, r.report(f"'info' did not print {want!r}; it printed {out!r}")


def test_backtrace_command(arch, monitor_session):
    """'backtrace' prints the monitor's own call stack, symbolized, from the
    command down to kmain."""
    r, printed, _ = monitor_session
    out = printed["backtrace"]
    assert out.startswith("Backtrace:\n"), r.report(f"'backtrace' printed {out!r}")
    names = re.findall(r"^  #\d+\s+0x[0-9a-f]{16} (\w+)\+0x[0-9a-f]+$", out, re.MULTILINE)
    for fn in ("monitor_execute", "monitor_run", "kmain"):
        assert fn in names, r.report(f"'{fn}' is not in the backtrace: {out!r}")


def test_poweroff_with_status(arch, monitor_session):
    """'poweroff 7' ends QEMU with status 7 (the session's last line; the
    fixture checks the status); an out-of-range status is refused with an
    error and the monitor keeps running."""
    r, printed, _ = monitor_session
    refused = printed["poweroff-101"]
    assert refused.startswith("error: poweroff: status must be a number"), \
        r.report(f"'poweroff 101' printed {refused!r}")
    harness.require(r, f"Powering off (status {SESSION_STATUS}).", "no poweroff message")


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


def test_uptime_keeps_the_hosts_time(arch, monitor_session):
    """`uptime` reads the monotonic clock (kernel/clock.c): across
    UPTIME_INTERVAL (1 s) of the host's own clock it advances by as much,
    within 3% plus 10 ms (UPTIME_TOLERANCE) and the console's round trips,
    so a counter rate measured or read wrongly by more than about 4% shows
    (x86_64 measures the TSC against the PIT; AArch64 reads CNTFRQ_EL0).
    The round trips are measured, not allowed for: the first reading is
    taken between `before_first` and `after_first`, the second between
    `before_second` and `after_second`."""
    r, printed, marks = monitor_session
    guest = []
    for key in ("uptime-1", "uptime-2"):
        m = UPTIME_RE.search(printed[key])
        assert m, r.report(f"uptime printed {printed[key]!r}")
        guest.append(int(m.group(1)) + int(m.group(2)) / 1e6)
    moved = guest[1] - guest[0]
    least = marks["before_second"] - marks["after_first"]
    most = marks["after_second"] - marks["before_first"]
    assert least >= UPTIME_INTERVAL, (least, marks)
    rate, fixed = UPTIME_TOLERANCE
    assert least * (1 - rate) - fixed <= moved <= most * (1 + rate) + fixed, \
        r.report(f"the guest's clock moved {moved:.3f} s while the host's moved between "
                 f"{least:.3f} and {most:.3f} s")


IRQS_ROW_RE = re.compile(r"^\s+(\d+)\s+(\S+)\s+(\d+)\s+\d+$", re.MULTILINE)


def irqs_counts(out):
    """{handler name: (line, count)} from what `irqs` printed (the last
    column, the handler's fastest run in ns, is make bench-proc's)."""
    return {m.group(2): (int(m.group(1)), int(m.group(3))) for m in IRQS_ROW_RE.finditer(out)}


def test_irqs_counts_rise(arch, monitor_session):
    """`irqs` names the controller and lists the timer's and the console's
    lines with their counts; a second later in the session (the 100 Hz
    tick, and every line typed in between) both counts have risen, on the
    same lines, and no interrupt was spurious."""
    r, printed, _ = monitor_session
    first, second = printed["irqs-1"], printed["irqs-2"]
    before, after = irqs_counts(first), irqs_counts(second)
    for name in ("timer", "console"):
        assert name in before and name in after, \
            r.report(f"`irqs` lists no '{name}' line: {first!r}")
        assert after[name][0] == before[name][0], r.report(f"'{name}' changed lines")
    ticks = after["timer"][1] - before["timer"][1]
    # 1 s at 100 Hz is 100 ticks; a loaded host may run the guest late.
    assert ticks >= 30, r.report(f"the timer count rose by {ticks} in 1 s")
    assert after["console"][1] > before["console"][1], \
        r.report(f"typing did not raise the console's count: {first!r} then {second!r}")
    assert "spurious 0," in second, r.report(f"spurious interrupts: {second!r}")


THREAD_LINE_RE = re.compile(r"^\s+(\d+)  (\S+)\s+(running|runnable|blocked|dead)\s+"
                            r"0x([0-9a-f]{16})-0x([0-9a-f]{16})", re.MULTILINE)


def test_threads_lists_boot_and_idle(arch, monitor_session):
    """`threads` (kernel/sched.c) lists the boot thread, which runs the
    monitor, on the boot stack, the idle thread, runnable, on a 16 KiB
    stack in the kernel-stack region, and the reaper of orphaned
    processes, waiting."""
    r, printed, _ = monitor_session
    out = printed["threads"]
    rows = {m.group(2): m.groups() for m in THREAD_LINE_RE.finditer(out)}
    assert set(rows) == {"boot", "idle", "reaper"}, r.report(f"`threads` printed {out!r}")
    assert rows["reaper"][2] == "blocked", r.report(f"the reaper: {rows['reaper']}")
    assert rows["boot"][0] == "0" and rows["boot"][2] == "running", \
        r.report(f"the boot thread: {rows['boot']}")
    assert rows["idle"][2] == "runnable", r.report(f"the idle thread: {rows['idle']}")
    bottom, top = int(rows["idle"][3], 16), int(rows["idle"][4], 16)
    assert 0xFFFF_E000_0000_0000 <= bottom and top - bottom == 16 * 1024, \
        r.report(f"idle's stack 0x{bottom:x}-0x{top:x}")
