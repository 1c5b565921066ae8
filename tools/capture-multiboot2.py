#!/usr/bin/env python3
"""Save the Multiboot2 information block that GRUB hands to Duet.

Boots the x86_64 ISO (build it first: `make ARCH=x86_64`) in QEMU, halted
with its gdb stub; gdb-multiarch stops at the first instruction of
x86_64_main(magic, info_pa), where ESI holds the block's physical address,
and writes the block's total_size bytes, read through the PMO
(PHYS_OFFSET + PA, which boot.S has mapped by then), to the output file.
It prints the physical address: the block is recorded there as
MEM_FIRMWARE_INFO, so a test needs it.

    python3 tools/capture-multiboot2.py --mem 4G -o tests/host/data/multiboot2/grub-4G.bin

tests/host/test_multiboot2.c parses the captures in tests/host/data/multiboot2/
and checks every region; tests/fuzz/fuzz_multiboot2.c starts from them.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import REPO, RunConfig, qemu_command  # noqa: E402

PHYS_OFFSET = 0xFFFF800000000000    # include/duet/layout.h
GDB_TIMEOUT = 60                    # seconds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(mem, cmdline, out, build=""):
    """Boot, dump the block to `out`; returns its physical address."""
    port = free_port()
    cfg = RunConfig(arch="x86_64", build=build, mem=mem, cmdline=cmdline, gdb=True,
                    gdb_port=port)
    elf = os.path.join(cfg.build_dir(), "duet.elf")
    steps = [f"duet-attach x86_64 {port}",
             "hbreak *x86_64_main",         # the entry: no prologue has run yet
             "continue",
             "set $pa = $rsi & 0xffffffff",
             f"set $va = {PHYS_OFFSET:#x} + $pa",
             "set $end = $va + *(unsigned int *)$va",     # + total_size
             'printf "@@pa %#x\\n", $pa',
             f"dump binary memory {os.path.abspath(out)} $va $end",
             "kill"]
    argv = ["gdb-multiarch", "-q", "-nx", "-batch",
            "-x", os.path.join(REPO, "tools", "gdb", "duet.gdb")]
    for step in steps:
        argv += ["-ex", step]
    argv.append(elf)

    workdir = tempfile.mkdtemp(prefix="duet-capture-")
    qemu = subprocess.Popen(qemu_command(cfg, workdir), cwd=workdir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        output = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=GDB_TIMEOUT)
        output = output.stdout + output.stderr
    finally:
        qemu.kill()
        qemu.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    line = next((l for l in output.splitlines() if l.startswith("@@pa ")), None)
    if line is None or not os.path.exists(out):
        sys.exit(f"capture-multiboot2: gdb did not reach x86_64_main:\n{output}")
    return int(line.split()[1], 16)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mem", default="256M")
    p.add_argument("--cmdline", default="")
    p.add_argument("--build", default="")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args()
    pa = capture(args.mem, args.cmdline, args.output, args.build)
    size = os.path.getsize(args.output)
    print(f"{args.output}: {size:#x} bytes from PA {pa:#x} (QEMU -m {args.mem}, "
          f"cmdline {args.cmdline!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
