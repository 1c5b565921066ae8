"""Deliberate crashes (`crash=` on the command line, boot/crash.c).

Every kind of kernel failure must end the run at once with a report a
student can act on: what happened, a symbolized backtrace that names the
function at fault, and exit status 3. A crash that hangs, resets silently
or exits 0 would turn a test run into a timeout or a false pass, so each
of those is a failure here (a timeout is reported as a hang).
"""
import re

import pytest

import harness

# crash=<name> -> per arch: a regex for the report's headline, and the
# function the backtrace must name (where the fault happens).
FAULT_HEADLINES = {
    "null": {"x86_64": r"\*\*\* KERNEL FAULT: Page fault \(#PF\)",
             "aarch64": r"\*\*\* KERNEL FAULT: data abort"},
    "stack-overflow": {"x86_64": r"\*\*\* KERNEL FAULT: Double fault \(#DF\)",
                       "aarch64": r"\*\*\* KERNEL FAULT: data abort"},
    "undefined": {"x86_64": r"\*\*\* KERNEL FAULT: Invalid opcode \(#UD\)",
                  "aarch64": r"\*\*\* KERNEL FAULT: undefined instruction"},
    "panic": {a: r"\*\*\* KERNEL PANIC at boot/crash\.c:\d+: crash=panic was asked for \*\*\*"
              for a in harness.ALL_ARCHES},
}
CULPRITS = {
    "null": "crash_null",
    "stack-overflow": "recurse_forever",
    "undefined": "arch_execute_undefined",
    "panic": "crash_panic",
}
FRAME_RE = re.compile(r"^  #(\d+)\s+0x([0-9a-f]{16}) (\S+?)(?:\+0x[0-9a-f]+)?$", re.MULTILINE)


def backtrace(r):
    """[(n, pc, function)] from the first 'Backtrace:' block; function is
    '?' for an address the kernel could not name. Compiler suffixes such
    as '.isra.0' or '.constprop.0' are removed."""
    start = r.log.find("Backtrace:\n")
    if start < 0:
        return []
    frames = []
    for line in r.log[start:].split("\n")[1:]:
        m = FRAME_RE.match(line)
        if m:
            frames.append((int(m.group(1)), int(m.group(2), 16), m.group(3).split(".")[0]))
        elif not line.startswith("  ... the frame above"):
            break
    return frames


@pytest.mark.parametrize("crash", list(CULPRITS))
def test_crash_report(arch, shared_boot, crash):
    """crash=<kind> prints its named report, a symbolized backtrace through
    the crashing function down to kmain, and powers off with status 3."""
    r = shared_boot(arch, f"crash={crash}")
    harness.check(r, "crash", expect_status=3)
    harness.require(r, re.compile(FAULT_HEADLINES[crash][arch]),
                    f"crash={crash}: the report does not name the fault")
    last = "panic" if crash == "panic" else "fault"
    harness.require(r, f"*** {last}: powering off (status 3) ***", "no closing line")
    assert r.exit.kind == "poweroff" and r.status == 3, \
        r.report(f"{r.exit.text}; expected a poweroff with status 3")

    frames = backtrace(r)
    names = [fn for _, _, fn in frames]
    assert len(frames) >= 3, r.report(f"the backtrace has {len(frames)} frames")
    assert [n for n, _, _ in frames] == list(range(len(frames))), \
        r.report("backtrace frames are not numbered #0, #1, ...")
    assert all(pc >= 0xFFFF_FFFF_8000_0000 for _, pc, _ in frames), \
        r.report("a backtrace address is outside the kernel image")
    culprit = CULPRITS[crash]
    assert culprit in names, r.report(f"the backtrace does not name {culprit}: {names}")
    assert "kmain" in names, r.report(f"the backtrace stops before kmain: {names}")
    assert names.index(culprit) < names.index("kmain"), \
        r.report(f"{culprit} should be above kmain in the backtrace: {names}")
    assert "?" not in names[:names.index("kmain") + 1], \
        r.report(f"an unnamed frame between the fault and kmain: {names}")


def test_stack_overflow_is_named(arch, shared_boot):
    """A kernel stack overflow is recognised as one (the stack pointer is in
    the guard below the boot stack), not reported as a mere fault."""
    r = shared_boot(arch, "crash=stack-overflow")
    harness.check(r, "crash", expect_status=3)
    harness.require(r, re.compile(r"^  kernel stack overflow: sp 0x[0-9a-f]+ ", re.MULTILINE),
                    "the stack overflow is not called one")


def test_thread_stack_overflow_is_named(arch, shared_boot):
    """A kernel thread that runs off its stack faults in the unmapped guard
    page under it (kernel/kstack.c), and the report names that thread's
    stack; the backtrace runs from the recursion down to the thread's start."""
    r = shared_boot(arch, "crash=thread-stack-overflow")
    harness.check(r, "crash", expect_status=3)
    harness.require(r, re.compile(FAULT_HEADLINES["stack-overflow"][arch]),
                    "the report does not name the fault")
    harness.require(r, re.compile(r"^  kernel stack overflow: sp 0x[0-9a-f]+ .*"
                                  r"thread \d+ \(overflow\)'s stack \[0x[0-9a-f]+, 0x[0-9a-f]+\)$",
                                  re.MULTILINE),
                    "the overflow does not name the thread's stack")
    assert r.exit.kind == "poweroff" and r.status == 3, \
        r.report(f"{r.exit.text}; expected a poweroff with status 3")
    names = [fn for _, _, fn in backtrace(r)]
    for fn in ("recurse_forever", "overflow_thread", "thread_start"):
        assert fn in names, r.report(f"the backtrace does not name {fn}: {names}")


def test_unknown_crash_panics(arch, boot):
    """crash=<unknown> lists the known crashes and panics (status 3) rather
    than booting on as if nothing had been asked."""
    r = boot(arch, "crash=nosuch")
    harness.check(r, "crash", expect_status=3)
    harness.require(r, "crash: unknown crash 'nosuch'; known: null stack-overflow "
                       "undefined panic", "the known crashes are not listed")
    assert r.status == 3, r.report(f"{r.exit.text}; expected status 3")
