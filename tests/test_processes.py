"""Processes from user space, on real boots of both machines: the
usertests program (user/programs/usertests.c: fork, wait, copy-on-write
memory, lazy pages, kill, exec, sleep, bad pointers, the process limit,
orphans), a shell session typed on the console under init (jobs in the
foreground and the background, `ps`, `kill`, exit statuses, Ctrl-C, line
editing), a fork bomb and a memory hog that the kernel survives.

The shell's console is raw: it echoes what it reads itself, so the typed
text shows in the log as the shell edited it.
"""
import re
import time

import pytest

import harness

SH_PROMPT = "$ "
FREE = re.compile(r"^free (\d+) of \d+ pages", re.M)


def sh(console, line):
    """Wait for the shell's prompt, then type `line` and Enter (a terminal's CR)."""
    console.expect(SH_PROMPT)
    console.send(line + "\r")


def sh_output(console, line):
    """Type `line` at the shell and return what it printed up to the next prompt."""
    sh(console, line)
    start = console.cursor
    console.expect(SH_PROMPT)
    console.cursor -= len(SH_PROMPT)
    return console.text[start:console.cursor]


def sh_output_until(console, line, text, seconds=10.0, pause=0.05):
    """Type `line` at the shell, again every `pause` seconds, until what it
    printed holds `text` or `seconds` (scaled) have passed; -> all it
    printed. For a job's end, which the shell reports before the first
    prompt after it: the test asks until the report comes, not once after
    a guess at how long the job takes."""
    deadline = time.monotonic() + harness.scaled(seconds)
    out = sh_output(console, line)
    while text not in out and time.monotonic() < deadline:
        time.sleep(pause)
        out += sh_output(console, line)
    return out


CLOCK_AFTER = 1.0       # seconds of the host's clock between the first prompt and the clock's reads


def run_usertests_session(arch):
    """Boot, `run usertests`, then read the clock around `run clock` at
    least CLOCK_AFTER seconds after the first prompt (usertests fill that
    time; a fast run sleeps what is left), then power off;
    -> (BootResult, {name: what it printed})."""
    said = {}

    def session(console):
        console.command("run usertests")
        prompted = time.monotonic()
        start = console.cursor
        console.expect(re.compile(r"run: usertests exited with status \d+\n"), timeout=240)
        said["usertests"] = console.text[start:console.cursor]
        time.sleep(max(0.0, prompted + CLOCK_AFTER - time.monotonic()))
        for key, line in (("before", "uptime"), ("clock", "run clock"), ("after", "uptime")):
            said[key] = console.monitor(line)
        console.command("poweroff")

    r = harness.boot(arch, "", send=session, timeout=300, log_name=f"session.{arch}.usertests")
    return r, said


@pytest.fixture
def usertests_session(arch):
    """(BootResult, said) of this arch's usertests session, shared by the
    tests that read it (harness.once_per_run), not yet checked."""
    harness.require_build(arch)
    return harness.once_per_run(("usertests-session", arch), lambda: run_usertests_session(arch))


def test_usertests_pass(arch, usertests_session):
    """Every test of usertests says ok and the program exits 0. Each test is
    a function the program runs in a child of its own, so a crash or a hang
    names the test; the assertion lists those that failed."""
    r, said = usertests_session
    out = said.get("usertests", "")
    failed = re.findall(r"^usertests: (\w+): FAILED: (.*)$", out, re.M)
    assert not failed, r.report("usertests failed: " + "; ".join(f"{n}: {why}" for n, why in failed))
    assert re.search(r"^usertests: all \d+ passed$", out, re.M), r.report("usertests did not finish")
    assert "run: usertests exited with status 0" in out, r.report(out[-500:])
    harness.check(r, "ok")


def test_the_uptime_system_call_reads_the_kernels_clock(arch, usertests_session):
    """`clock` reads the clock through the uptime system call: what it
    prints lies between what the monitor's `uptime` says before and after
    the run, and it exits 0 (its two readings did not go back). At least
    a second of the host's clock (CLOCK_AFTER) comes first, so that a
    clock read at the wrong rate or from the wrong zero falls outside: the
    usertests session's, whose programs fill that second."""
    r, said = usertests_session
    harness.check(r, "ok")
    texts = [said.get(key, "") for key in ("before", "clock", "after")]
    patterns = (r"^up (\d+\.\d{6}) s$", r"^clock: (\d+\.\d{6}) s$", r"^up (\d+\.\d{6}) s$")
    before, program, after = (re.search(p, text, re.M) for p, text in zip(patterns, texts))
    assert before and program and after, r.report(f"unexpected output: {texts!r}")
    assert "run: clock exited with status 0" in texts[1], r.report(texts[1])
    assert float(before.group(1)) <= float(program.group(1)) <= float(after.group(1)), \
        r.report(f"the program's clock {program.group(1)} is not between the monitor's "
                 f"{before.group(1)} and {after.group(1)}")


def shell_session(arch, boot, steps, cmdline=""):
    """Boot, `run init` (or boot with the `init` option), run steps(console,
    said) at the shell, and power off once init has said how the shell
    ended. Returns (result, said)."""
    said = {}

    def session(console):
        if "init" not in cmdline.split():
            console.command("run init")
        steps(console, said)
        said["init"] = console.expect(re.compile(r"run: init exited with status \d+\n"))
        said["monitor_ps"] = console.monitor("ps")
        console.command("poweroff")

    r = boot(arch, cmdline, send=session, timeout=120)
    harness.check(r, "ok")
    return r, said


def test_shell_runs_programs_and_reports_how_they_ended(arch, boot):
    """Words become argv; a non-zero status is reported, an unknown program
    named; built-ins answer; `exit 4` ends the shell, and init says so and
    exits with the shell's status."""
    def steps(console, said):
        for key, line in (("echo", "echo hi   there"), ("status", "status 3"),
                          ("ok", "status 0"), ("nosuch", "nosuch arg"), ("uptime", "uptime"),
                          ("help", "help"), ("kill_usage", "kill -9"), ("kill_none", "kill 9999")):
            said[key] = sh_output(console, line)
        sh(console, "exit 4")

    r, said = shell_session(arch, boot, steps)
    assert said["echo"] == "echo hi   there\nhi there\n", r.report(repr(said["echo"]))
    assert "sh: status: exit status 3" in said["status"], r.report(said["status"])
    assert said["ok"] == "status 0\n", r.report(f"a status of 0 was reported: {said['ok']!r}")
    assert "sh: nosuch: no such program" in said["nosuch"], r.report(said["nosuch"])
    assert re.search(r"^up \d+\.\d{3} s$", said["uptime"], re.M), r.report(said["uptime"])
    assert "built-ins: ps, kill" in said["help"], r.report(said["help"])
    assert "usage: kill [-2|-9|-15] pid" in said["kill_usage"], r.report(said["kill_usage"])
    assert "sh: kill: no process 9999" in said["kill_none"], r.report(said["kill_none"])
    harness.require(r, "init: sh exited with status 4\n", "init did not report the shell's end")
    assert "status 4" in said["init"], r.report(said["init"])


def test_shell_background_jobs_ps_and_kill(arch, boot):
    """`forever &` runs in the background (the shell prints its pid and
    answers at once, so `forever` is preempted); `ps` lists it as the
    shell's child; `kill` ends it, reported before a later prompt as done
    with status 143; a job that ends by itself is reaped as done status 0;
    usertests' getppid and orphan tests pass under the shell; `exit` ends
    the jobs still running."""
    def steps(console, said):
        sh(console, "forever &")
        said["pid"] = int(console.expect(re.compile(r"^\[(\d+)\]\n", re.M))[1:-2])
        # Until the child has run exec, ps names it sh: ask again a few times.
        for _ in range(20):
            said["ps"] = sh_output(console, "ps")
            if re.search(rf"^\s*{said['pid']}\s.*forever$", said["ps"], re.M):
                break
            time.sleep(0.1)
        said["kill"] = sh_output(console, f"kill {said['pid']}")
        said["after_kill"] = sh_output(console, "echo next")
        sh(console, "sleep 100 &")
        said["sleep_pid"] = int(console.expect(re.compile(r"^\[(\d+)\]\n", re.M))[1:-2])
        said["after_sleep"] = sh_output_until(console, "echo later",
                                              f"[{said['sleep_pid']}] done status")
        said["usertests"] = sh_output(console, "usertests getppid orphan")
        sh(console, "sleep 100000 &")
        said["left_pid"] = int(console.expect(re.compile(r"^\[(\d+)\]\n", re.M))[1:-2])
        sh(console, "exit")

    r, said = shell_session(arch, boot, steps)
    pid = said["pid"]
    rows = {int(m[0]): m for m in re.findall(r"^\s*(\d+)\s+(\d+)\s+([RSZ])\s+\d+K\s+(\S+)$",
                                               said["ps"], re.M)}
    assert pid in rows and rows[pid][3] == "forever", r.report(f"`ps` does not list forever: {said['ps']!r}")
    sh_pid = [p for p, row in rows.items() if row[3] == "sh"]
    assert sh_pid and int(rows[pid][1]) == sh_pid[0], r.report("forever is not the shell's child")
    assert rows[pid][2] == "R", r.report("a computing job is not R")
    assert f"[{pid}] done status 143" in said["kill"] + said["after_kill"], \
        r.report(f"no report that job {pid} ended by kill: {said['kill'] + said['after_kill']!r}")
    assert f"[{said['sleep_pid']}] done status 0" in said["after_sleep"], r.report(said["after_sleep"])
    assert "usertests: all 2 passed" in said["usertests"], r.report(said["usertests"])
    harness.require(r, f"[{said['left_pid']}] done status 137\n", "exit left a job running")
    # Its name may still be sh: exit can come before the child's exec.
    assert re.search(rf"^\s+{said['left_pid']}\s+\S+\s+137\s", said["monitor_ps"], re.M), \
        r.report(f"the monitor's `ps` does not show the job ended: {said['monitor_ps']!r}")


def test_shell_ctrl_c_ends_the_foreground_job_only(arch, boot):
    """A `forever` in the foreground computes with no system call; Ctrl-C
    ends it (status 130) and the shell answers again. A background job is
    in a group of its own and survives, and Ctrl-C at the prompt, where no
    job is the foreground, is only a byte: it cancels the line typed."""
    def steps(console, said):
        sh(console, "sleep 100000 &")
        said["bg"] = int(console.expect(re.compile(r"^\[(\d+)\]\n", re.M))[1:-2])
        sh(console, "forever")
        console.expect("forever: computing until interrupted")
        time.sleep(0.3)
        console.send("\x03")
        # A Ctrl-C that does not reach the job would leave it running: wait
        # seconds for the answer, not the whole boot.
        said["fg"] = console.expect(re.compile(r"sh: forever: exit status \d+\n"), timeout=10)
        said["echo"] = sh_output(console, "echo after")
        console.expect(SH_PROMPT)
        console.send("status 9\x03")         # cancelled: status 9 must not run
        said["ps"] = sh_output(console, "ps")
        # Reported before the prompt after the kill or the next one: when it has ended.
        said["killed"] = sh_output(console, f"kill -2 {said['bg']}")
        said["killed"] += sh_output_until(console, "echo x", f"[{said['bg']}] done status")
        sh(console, "exit")

    r, said = shell_session(arch, boot, steps)
    assert f"[{said['bg']}] done status 130" in said["killed"], r.report(said["killed"])
    assert said["fg"] == "sh: forever: exit status 130\n", r.report(said["fg"])
    assert said["echo"] == "echo after\nafter\n", r.report(repr(said["echo"]))
    assert re.search(rf"^\s*{said['bg']}\s+\d+\s+S\s+\d+K\s+sleep$", said["ps"], re.M), \
        r.report(f"the background job did not survive Ctrl-C: {said['ps']!r}")
    assert "exit status 9" not in r.log, r.report("Ctrl-C at the prompt did not cancel the line")
    harness.require(r, "$ status 9^C\n", "the shell did not echo the cancelled line with ^C")


def test_shell_line_editing(arch, boot):
    """Backspace and DEL erase a character, Ctrl-U the whole line, a CR LF
    pair is one Enter (not an Enter and an empty line), and Ctrl-D on an
    empty line ends the shell (status 0). This session starts at boot, with
    the `init` option, and the monitor's prompt comes after it."""
    def steps(console, said):
        said["edit"] = sh_output(console, "ab\x7fc\x15echo edited\x08D")
        sh(console, "echo one\r\necho two")
        said["crlf"] = console.expect(re.compile(r"echo one\n.*?\ntwo\n", re.S))
        console.expect(SH_PROMPT)
        console.send("\x04")

    r, said = shell_session(arch, boot, steps, cmdline="init")
    assert said["edit"].endswith("\nediteD\n"), r.report(repr(said["edit"]))
    assert said["crlf"] == "echo one\none\n$ echo two\ntwo\n", r.report(repr(said["crlf"]))
    harness.require(r, "init: sh exited with status 0\n", "Ctrl-D did not end the shell")


def free_pages(console):
    """The buddy allocator's free pages, from the monitor's `buddyinfo`."""
    return int(FREE.search(console.monitor("buddyinfo")).group(1))


def test_memory_hog_is_ended_and_the_kernel_goes_on(arch, boot):
    """memhog maps and touches memory until none is left: the kernel ends it
    (status 137, with a report naming it), not itself; the shell answers
    after, and once the session is over every page is free again."""
    said = {}

    def session(console):
        console.monitor("run hello")          # what the first run allocates for good
        said["before"] = free_pages(console)
        console.command("run init")
        said["hog"] = sh_output(console, "memhog")
        said["echo"] = sh_output(console, "echo alive")
        sh(console, "exit")
        console.expect("run: init exited with status 0\n")
        said["after"] = free_pages(console)
        console.command("poweroff")

    r = boot(arch, "", send=session, timeout=180)
    harness.check(r, "ok")
    mib = [int(m) for m in re.findall(r"^memhog: (\d+) MiB$", said["hog"], re.M)]
    assert mib and mib[-1] >= 64, r.report(f"memhog got {mib[-1:]} MiB before it ended")
    assert re.search(r"^\*\*\* memhog \(pid \d+\) out of memory: .+ \*\*\*$", said["hog"], re.M), \
        r.report("no out-of-memory report for memhog")
    assert "sh: memhog: exit status 137" in said["hog"], r.report(said["hog"][-300:])
    assert said["echo"] == "echo alive\nalive\n", r.report(repr(said["echo"]))
    assert said["after"] == said["before"], \
        r.report(f"{said['before'] - said['after']} pages not freed after the session")


def test_fork_bomb_meets_eagain_and_everything_is_reaped(arch, boot):
    """forkbomb forks until fork says -EAGAIN (the process table is full),
    kills and reaps every child and forks once more; then the monitor runs
    programs as before and no page is lost."""
    said = {}

    def session(console):
        console.monitor("run hello")
        said["before"] = free_pages(console)
        said["bomb"] = console.monitor("run forkbomb")
        said["after"] = free_pages(console)
        said["hello"] = console.monitor("run hello")
        console.command("poweroff")

    r = boot(arch, "", send=session, timeout=120)
    harness.check(r, "ok")
    m = re.search(r"^forkbomb: (\d+) processes, then EAGAIN$", said["bomb"], re.M)
    assert m and int(m.group(1)) >= 16, r.report(said["bomb"])
    assert "forkbomb: ok" in said["bomb"], r.report(said["bomb"])
    assert "run: forkbomb exited with status 0" in said["bomb"], r.report(said["bomb"])
    assert said["after"] == said["before"], \
        r.report(f"{said['before'] - said['after']} pages not freed after the fork bomb")
    assert "hello, world" in said["hello"], r.report(said["hello"])
