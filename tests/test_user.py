"""User mode on real boots: the programs in user/programs/ run on both
machines, print what they should, and the ones that misbehave are killed
with a report naming the address, the instruction pointer and the reason,
while the kernel goes on.

The in-kernel `user` suite (kernel/proc_test.c) checks exit statuses and
that no page leaks; these tests read the console of that run for what the
programs and the reports print, and drive `run` and `ps` in the monitor.
"""
import re
import time

import pytest

import harness

HEX = r"0x[0-9a-f]{16}"

# program -> (access, hint) its report must name; None where the arch decides.
FAULTS = {
    "fault_null": ("read", r"not mapped \(a NULL pointer\)"),
    "fault_write_text": ("write", r"not allowed \(the page is read-only\)"),
    "fault_exec_stack": ("execute", r"not allowed \(the page is not executable\)"),
    "fault_read_kernel": ("read", r"not (?:allowed|mapped) \(a kernel address\)"),
    "fault_stack_overflow": ("write", r"not mapped \(the guard page below the stack: a stack overflow\)"),
}


def user_run(arch, shared_boot):
    r = shared_boot(arch, "ktest=user")
    harness.check(r, "ok")
    return r


def test_hello_args_brk_and_badwrite_print_what_they_should(arch, shared_boot):
    r = user_run(arch, shared_boot)
    harness.require(r, "hello, world\n", "hello did not print")
    harness.require(r, re.compile(r"^argc=4$", re.M), "args did not see argc=4")
    harness.require(r, re.compile(r"^argv\[2\]=two words$", re.M), "argv[2] did not arrive whole")
    harness.require(r, "brk: ok", "the brk program did not pass")
    harness.require(r, "badwrite: ok", "the badwrite program did not pass")


@pytest.mark.parametrize("program", sorted(FAULTS))
def test_a_fault_kills_only_the_program_with_a_named_report(arch, shared_boot, program):
    """The report names the program, the access and its address, why it was
    refused, the pc and sp, and the status; the kernel keeps running."""
    r = user_run(arch, shared_boot)
    access, hint = FAULTS[program]
    report = re.compile(
        rf"^\*\*\* user fault: {program} \(pid \d+\): .+ \*\*\*\n"
        rf"  {access} at {HEX}: {hint}\n"
        rf"  pc {HEX}  sp {HEX}\n"
        rf"\*\*\* {program} \(pid \d+\) killed: status 139 \*\*\*$", re.M)
    harness.require(r, report, f"no complete fault report for {program}")


def test_a_privileged_instruction_is_reported(arch, shared_boot):
    r = user_run(arch, shared_boot)
    harness.require(r, re.compile(r"^\*\*\* user fault: fault_privileged \(pid \d+\): .+ \*\*\*$", re.M),
                    "no report for fault_privileged")
    harness.require(r, re.compile(r"^\*\*\* fault_privileged \(pid \d+\) killed: status 13[29] \*\*\*$", re.M),
                    "fault_privileged was not killed")
    assert "survived" not in r.log, r.report("a fault program survived its fault")


def test_monitor_runs_programs_and_lists_them(arch, boot):
    """`run` with no program lists them; `run <program> [args]` runs one and
    prints its status; `ps` lists what ran, killed ones included."""
    outputs = []

    def session(console):
        for line in ("run", "run hello", "run status 7", "run fault_null", "run nosuch", "ps"):
            outputs.append(console.monitor(line))
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    listing, hello, status, null, nosuch, ps = outputs
    for name in ("hello", "brk", "fault_null"):
        assert re.search(rf"^  {name}$", listing, re.M), r.report(f"`run` does not list {name}")
    assert "hello, world" in hello and "run: hello exited with status 0" in hello, r.report(hello)
    assert "run: status exited with status 7" in status, r.report(status)
    assert "killed: status 139" in null, r.report(null)
    assert "no program called 'nosuch'" in nosuch, r.report(nosuch)
    rows = re.findall(r"^\s+(\d+)\s+(\S+)\s+(\d+)\s+(.*)$", ps, re.M)
    assert [(name, int(st)) for _, name, st, _ in rows] == \
        [("hello", 0), ("status", 7), ("fault_null", 139)], r.report(ps)
    assert rows[2][3].startswith("killed: read at 0x0"), r.report(ps)


@pytest.mark.per_arch("cpu", {"x86_64": ["max"], "aarch64": ["max"]})
def test_smap_pan_stop_the_kernel_touching_user_memory(arch, cpu, boot):
    """With a CPU that has SMAP (x86_64) or PAN (AArch64), the kernel's own
    direct read of a user page faults: the aspace suite's test runs, not skips."""
    r = boot(arch, "ktest=aspace", cpu=cpu)
    harness.check(r, "ok")
    harness.require(r, re.compile(r"^\s+ok \d+ the_kernel_cannot_touch_user_memory_directly$", re.M),
                    "the SMAP/PAN test did not run and pass")


def test_uptdump_shows_a_programs_segments_and_stack(arch, boot):
    """`uptdump hello` loads hello without running it: its text is read-only
    and executable, its data writable and not executable, and its 64 KiB
    stack ends one page below the top of user space with nothing mapped
    under it (the guard page)."""
    outputs = []

    def session(console):
        outputs.append(console.monitor("uptdump hello one two"))
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    rows = re.findall(r"^(0x[0-9a-f]+)-(0x[0-9a-f]+)\s+(\S+)\s+\S+\s+USR\s+(ro|RW)\s+(x|NX)\s", outputs[0], re.M)
    assert rows, r.report(outputs[0])
    perms = [(w, x) for _, _, _, w, x in rows]
    assert ("RW", "x") not in perms, r.report("a user page is writable and executable")
    assert perms[0] == ("ro", "x"), r.report("hello's first segment is not its read-only text")
    start, end, size, w, x = rows[-1]
    assert (int(end, 16), size, w, x) == (0x7ffffffff000, "64K", "RW", "NX"), \
        r.report("the stack is not 64 KiB of RW NX memory ending at USER_STACK_TOP")
    assert int(rows[-2][1], 16) < int(start, 16) - 0x1000, r.report("no guard page below the stack")


@pytest.mark.parametrize("cpu", ["", "max"], ids=["default-cpu", "cpu-max"])
def test_flags_a_program_sets_do_not_reach_the_kernel(arch, boot, cpu):
    """A program sets the flags it may (x86_64: DF, NT, AC; AArch64: NZCV),
    then makes a system call: answered, and it goes on. Another sets them
    and faults: killed with a report, and the kernel goes on with flags of
    its own (x86_trap panics if DF or AC reach it; with NT, the kernel's
    own iretq would fault) so the next program runs normally. With
    CPU=max, SMAP and PAN are on and must stay on."""
    def session(console):
        for line in ("run flags_syscall", "run flags_fault", "run flags_syscall", "run hello"):
            console.command(line)
        console.command("poweroff")

    r = boot(arch, cpu=cpu, send=session)
    harness.check(r, "ok")
    assert r.log.count("flags_syscall: ok\n") == 2, r.report("flags_syscall did not get its answer")
    harness.require(r, re.compile(r"^\*\*\* flags_fault \(pid \d+\) killed: status 139 \*\*\*$",
                                  re.M), "flags_fault was not killed with a report")
    assert "survived" not in r.log, r.report("flags_fault survived its fault")
    harness.require(r, "hello, world\n", "hello did not run after them")


def test_interrupts_come_while_a_program_runs(arch, boot):
    """`spin` computes in user mode for 300 ms: the tick interrupts it there
    (x86_64 through TSS.rsp0, AArch64 from EL0) and returns to it with its
    registers intact, so it ends with `spin: ok`, and the timer's count in
    `irqs` rises by at least the 300 ms's worth at 100 Hz, less a few for a
    loaded host. With interrupts masked in user mode it would rise by the
    few ticks of the prompt's round trips only."""
    said = []

    def session(console):
        for line in ("irqs", "run spin", "irqs"):
            said.append(console.monitor(line))
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    assert "spin: ok" in said[1] and "run: spin exited with status 0" in said[1], \
        r.report(said[1])
    ticks = [int(m.group(1)) for text in (said[0], said[2])
             for m in re.finditer(r"^\s+\d+\s+timer\s+(\d+)\s+\d+$", text, re.M)]
    assert len(ticks) == 2, r.report(f"`irqs` did not list the timer: {said!r}")
    assert ticks[1] - ticks[0] >= 20, \
        r.report(f"the timer counted {ticks[1] - ticks[0]} interrupts across a 300 ms program")


def test_ctrl_c_ends_a_program_that_never_stops(arch, boot):
    """`forever` computes in user mode with no system call; Ctrl-C on the
    console ends it (status 130, 128 + SIGINT) within a tick, the monitor
    says so, `ps` remembers why, and the next program runs. Without the
    receive interrupt, or with the kill not taken on the way back to user
    mode, the run would hang until the test's timeout."""
    said = {}

    def session(console):
        console.command("run forever")
        console.expect("forever: computing until interrupted")
        time.sleep(0.3)                       # it has been preempted by ticks a while
        console.send("\x03")
        # Up to the line's end: a match on "\d+" alone can end in the middle
        # of "130" when the console has only delivered "status 1" so far.
        said["run"] = console.expect(re.compile(r"run: forever exited with status \d+\n")).rstrip()
        said["ps"] = console.monitor("ps")
        said["hello"] = console.monitor("run hello")
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    assert said["run"].endswith("status 130"), r.report(said["run"])
    harness.require(r, re.compile(r"^\*\*\* forever \(pid \d+\) interrupted: status 130 \*\*\*$", re.M),
                    "no line saying the program was interrupted")
    assert re.search(r"forever\s+130  killed: interrupted \(Ctrl-C\)", said["ps"]), \
        r.report(f"`ps` printed {said['ps']!r}")
    assert "hello, world" in said["hello"], r.report(said["hello"])


def test_monitor_runs_a_program_in_the_background_and_kills_it(arch, boot):
    """`run forever &` starts a process and gives the prompt back at once;
    `ps` lists it running; `kill` refuses a pid that does not exist and a
    signal it does not know, then ends it with SIGTERM (143), and the
    monitor's `ps` remembers how. Without the background path the monitor
    would wait forever at the `run`."""
    said = {}

    def session(console):
        said["run"] = console.monitor("run forever &")
        m = re.search(r"^\[(\d+)\] forever$", said["run"], re.M)
        pid = m.group(1) if m else "0"
        said["ps"] = console.monitor("ps")
        said["nosuch"] = console.monitor("kill 999")
        said["badsig"] = console.monitor(f"kill -3 {pid}")
        said["kill"] = console.monitor(f"kill {pid}")
        # The next tick ends it; the reaper frees it.
        said["after"] = console.monitor_until(
            "ps", re.compile(r"143  killed: signal 15 from pid 0$", re.M))
        said["pid"] = pid
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    pid = said["pid"]
    assert pid != "0", r.report(f"`run forever &` printed {said['run']!r}")
    assert re.search(rf"^\s+{pid}\s+forever\s+-  \(running, parent 0\)$", said["ps"], re.M), \
        r.report(f"`ps` printed {said['ps']!r}")
    assert "kill: no process 999" in said["nosuch"], r.report(said["nosuch"])
    assert "signal 3 is not one of 2, 9 and 15" in said["badsig"], r.report(said["badsig"])
    assert re.search(rf"^\s+{pid}\s+forever\s+143  killed: signal 15 from pid 0$", said["after"],
                     re.M), r.report(f"`ps` after the kill printed {said['after']!r}")
