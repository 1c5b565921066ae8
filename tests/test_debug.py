"""Debugging with gdb: what `make ARCH=<arch> debug` and docs/debugging.md promise.

One QEMU per arch, started halted with its gdb stub on a free port (through
tools/qemu.py's RunConfig, like every other boot), and one gdb-multiarch in
batch mode that loads tools/gdb/duet.gdb, attaches with `duet-attach`,
stops in kmain with a hardware breakpoint, and then at the trap handler of
a deliberate NULL dereference (crash=null). The test reads gdb's output:

- the backtrace in kmain names kmain and ends at boot.S's entry frame
  (no frames invented from the memory above the boot stack);
- `duet-pt kmain` walks the page tables to a leaf and finds kmain at the
  physical address the linker placed it (VA - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE);
- the backtrace in the trap handler unwinds through the trap frame into
  crash_null and on to kmain.

QEMU is killed whatever happens. gdb's output and the console are saved
in build/test-logs/<test>.log.
"""
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile

import pytest

import harness
from qemu import RunConfig, qemu_command

KERNEL_VIRT_BASE = 0xFFFF_FFFF_8000_0000
GDB_SCRIPT = os.path.join(harness.REPO, "tools", "gdb", "duet.gdb")
GDB_TIMEOUT = 30.0                  # seconds, before TIMEOUT_SCALE
TRAP_HANDLER = {"x86_64": "x86_trap", "aarch64": "aarch64_trap"}
# Where crash=null's fault stops gdb. x86_64's interrupts enter x86_trap as
# well: on a slow machine the timer's first tick reached it before the fault
# did, so the breakpoint waits for the page fault's vector (14). AArch64's
# IRQs go to aarch64_irq instead.
TRAP_BREAK = {"x86_64": "x86_trap if f->vector == 14", "aarch64": "aarch64_trap"}
C_ENTRY = {"x86_64": "x86_64_main", "aarch64": "aarch64_main"}
BOOT_ENTRY = {"x86_64": "higher_half_entry", "aarch64": "higher_half"}
FRAME_RE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(", re.MULTILINE)
LEAF_RE = re.compile(r"^VA (0x[0-9a-f]+) -> PA (0x[0-9a-f]+): (4 KiB|2 MiB|1 GiB) (page|block)",
                     re.MULTILINE)


def kernel_phys_base(arch):
    """KERNEL_PHYS_BASE from arch/<arch>/include/arch/layout.h."""
    with open(os.path.join(harness.REPO, "arch", arch, "include", "arch", "layout.h")) as f:
        m = re.search(r"^#define KERNEL_PHYS_BASE\s+(0x[0-9a-fA-F]+)", f.read(), re.MULTILINE)
    assert m, f"no KERNEL_PHYS_BASE in arch/{arch}/include/arch/layout.h"
    return int(m.group(1), 16)


def free_port():
    """A TCP port nobody listens on right now (the operating system picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section(output, name):
    """The part of gdb's output between `echo @@name` and the next @@ marker
    ('' when gdb never got there)."""
    start = output.find(f"@@{name}\n")
    if start < 0:
        return ""
    start += len(name) + 3
    end = output.find("@@", start)
    return output[start:end if end >= 0 else len(output)]


def frames(text):
    """[function names] of a gdb backtrace, innermost first."""
    return [m.group(2) for m in FRAME_RE.finditer(text)]


def gdb_session(arch, request, cmdline, steps, boot_method=""):
    """Run gdb-multiarch with tools/gdb/duet.gdb against a halted QEMU booted
    with `cmdline`, through `steps`; -> (gdb's output, report(headline)).
    boot_method: "" boots as `make debug` does (GRUB on x86_64), "direct"
    skips GRUB's second."""
    gdb = shutil.which("gdb-multiarch")
    if not gdb:
        pytest.skip("gdb-multiarch is not installed (apt-get install gdb-multiarch)")
    b = harness.require_build(arch)
    elf = os.path.join(b.build_dir, "duet.elf")
    port = free_port()
    cfg = RunConfig(arch=arch, cmdline=cmdline, gdb=True, gdb_port=port, boot=boot_method)
    log_path = os.path.join(harness.LOG_DIR,
                            harness.sanitize(request.node.nodeid) + ".log")
    os.makedirs(harness.LOG_DIR, exist_ok=True)

    steps = [f"duet-attach {arch} {port}"] + steps + ["echo @@end\\n", "kill"]
    argv = [gdb, "-q", "-nx", "-batch", "-x", GDB_SCRIPT]
    for step in steps:
        argv += ["-ex", step]
    argv.append(elf)

    workdir = tempfile.mkdtemp(prefix="duet-gdb-")
    qemu = None
    output = ""
    try:
        with open(os.path.join(workdir, "console"), "wb") as console:
            qemu = subprocess.Popen(qemu_command(cfg, workdir), cwd=workdir,
                                    stdin=subprocess.DEVNULL, stdout=console,
                                    stderr=subprocess.STDOUT)
            # gdb retries a refused connection (`set tcp auto-retry`, on by
            # default) while QEMU is still opening its port.
            try:
                output = subprocess.run(argv, cwd=harness.REPO, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        timeout=harness.scaled(GDB_TIMEOUT)).stdout
            except subprocess.TimeoutExpired as e:
                output = (e.stdout or b"") + b"\n(gdb did not finish in time; killed)"
            output = output.decode(errors="replace")
    finally:
        if qemu is not None:
            if qemu.poll() is None:
                qemu.kill()
            qemu.wait()
        with open(os.path.join(workdir, "console"), errors="replace") as f:
            console_text = f.read()
        with open(log_path, "w") as f:
            f.write(f"# gdb: {shlex.join(argv)}\n{output}\n"
                    f"# console ({cfg.arch}, cmdline {cfg.cmdline!r}):\n{console_text}\n")
        shutil.rmtree(workdir, ignore_errors=True)

    def report(headline):
        """A failure message: the headline, gdb's output, the end of the console."""
        tail = "\n".join(console_text.rstrip("\n").split("\n")[-harness.TAIL_LINES:])
        return (f"{arch}: {headline}\n--- gdb ({os.path.relpath(log_path, harness.REPO)}) ---\n"
                f"{output.rstrip()}\n--- last {harness.TAIL_LINES} lines of the console ---\n"
                f"{tail}")

    return output, report


def test_gdb_session(arch, request):
    """gdb attaches with duet-attach, stops in kmain, backtraces, walks the
    page tables with duet-pt, and unwinds a fault through the trap frame."""
    output, report = gdb_session(arch, request, "crash=null", [
        "hbreak kmain", "continue", "echo @@bt\\n", "bt",
        "echo @@pt\\n", "duet-pt kmain",
        f"hbreak {TRAP_BREAK[arch]}", "continue", "echo @@trap\\n", "bt"])
    assert "@@end" in output, report("the gdb session did not finish")

    bt = frames(section(output, "bt"))
    assert bt[:1] == ["kmain"], report(f"the backtrace in kmain does not start at kmain: {bt}")
    assert C_ENTRY[arch] in bt, report(f"the backtrace misses {C_ENTRY[arch]}: {bt}")
    assert bt[-1] == BOOT_ENTRY[arch], \
        report(f"the backtrace should end at boot.S's {BOOT_ENTRY[arch]}: {bt}")

    m = LEAF_RE.search(section(output, "pt"))
    assert m, report("duet-pt kmain reports no leaf mapping")
    va, pa = int(m.group(1), 16), int(m.group(2), 16)
    expected = va - KERNEL_VIRT_BASE + kernel_phys_base(arch)
    assert pa == expected, report(f"duet-pt maps kmain (VA {va:#x}) to PA {pa:#x}, but the "
                                  f"image is linked to be at PA {expected:#x}")

    trap = frames(section(output, "trap"))
    assert trap[:1] == [TRAP_HANDLER[arch]], \
        report(f"crash=null did not stop in {TRAP_HANDLER[arch]}: {trap}")
    assert "crash_null" in trap and "kmain" in trap, \
        report(f"the backtrace from the trap handler does not reach crash_null and kmain: {trap}")


def test_gdb_backtrace_from_deep_in_the_kernel(arch, request):
    """From a breakpoint three calls below kmalloc, gdb unwinds every frame
    to boot.S: the image carries unwind information (.debug_frame) on both
    arches. (AArch64's once had none: GCC put it in .eh_frame, which the
    linker script discards, and gdb stopped at kmalloc with "previous frame
    identical".) Booted directly: test_gdb_session goes through GRUB, as
    `make debug` does. The breakpoint goes in only once crash_kfree_twice
    runs: the boot's own allocations (the idle thread's, in sched_init)
    come first."""
    output, report = gdb_session(arch, request, "crash=kfree-twice", [
        "hbreak crash_kfree_twice", "continue", "hbreak buddy_alloc_pages", "continue",
        "echo @@bt\\n", "bt"], boot_method="direct")
    assert "@@end" in output, report("the gdb session did not finish")
    bt = frames(section(output, "bt"))
    assert bt[:1] == ["buddy_alloc_pages"] and "kmalloc" in bt, \
        report(f"the breakpoint under kmalloc was not where the backtrace starts: {bt}")
    for caller in ("crash_kfree_twice", "kmain", C_ENTRY[arch]):
        assert caller in bt, report(f"the backtrace misses {caller}: {bt}")
    assert bt[-1] == BOOT_ENTRY[arch], \
        report(f"the backtrace should end at boot.S's {BOOT_ENTRY[arch]}: {bt}")
