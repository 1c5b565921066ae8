"""The build: what `make` produces and refuses, with both toolchains."""
import os
import shutil
import subprocess

import pytest

import harness
from harness import require_build


@pytest.mark.x86_64
def test_multiboot2_header(arch):
    """GRUB recognises the x86_64 ELF as a Multiboot2 kernel (the header is
    in the first 32 KiB, aligned, with a valid checksum)."""
    if not shutil.which("grub-file"):
        pytest.skip("grub-file is not installed (make deps)")
    b = require_build(arch)
    elf = os.path.join(b.build_dir, "duet.elf")
    proc = subprocess.run(["grub-file", "--is-x86-multiboot2", elf], capture_output=True,
                          text=True)
    assert proc.returncode == 0, f"grub-file --is-x86-multiboot2 {elf} says no: {proc.stderr}"


def test_unknown_arch_is_rejected():
    """`make ARCH=riscv` stops at once with a message listing the valid
    architectures, instead of failing somewhere in the middle."""
    proc = harness.run_make("ARCH=riscv", timeout=60)
    assert proc.returncode != 0, "make ARCH=riscv succeeded:\n" + proc.stdout
    assert "riscv" in proc.stdout and "x86_64" in proc.stdout and "aarch64" in proc.stdout, \
        "the error does not name the bad ARCH and list x86_64 and aarch64:\n" + proc.stdout
    assert not os.path.exists(os.path.join(harness.REPO, "build", "riscv")), \
        "make ARCH=riscv created build/riscv"


def producer(elf):
    """The compiler named in the ELF's DWARF (DW_AT_producer), or ''."""
    proc = subprocess.run(["readelf", "--debug-dump=info", elf], capture_output=True, text=True)
    for line in proc.stdout.split("\n"):
        if "DW_AT_producer" in line:
            return line.split(":")[-1].strip()
    return ""


def test_llvm_build_boots(arch, boot):
    """`make LLVM=1` builds with clang and ld.lld into build/<arch>-llvm, and
    that kernel passes its in-kernel tests (ktest=all, status 0) too."""
    b = require_build(arch, llvm=True)
    elf = os.path.join(b.build_dir, "duet.elf")
    assert b.build_dir.endswith(f"build/{arch}-llvm") and os.path.exists(elf), \
        f"no {elf} after `{b.command}`:\n{b.output}"
    made_by = producer(elf)
    assert "clang" in made_by, f"{elf} was compiled by {made_by!r}, not clang"
    r = boot(arch, "ktest=all", build=b.build_dir)
    harness.check(r, "ok")


@pytest.mark.x86_64
def test_wrong_loader_is_refused(arch, boot):
    """Started by a loader that is not Multiboot2 (QEMU's -kernel, a
    Multiboot 1 loader), the x86_64 kernel says it needs GRUB2's multiboot2
    and stops with the panic status, instead of crashing or hanging."""
    r = boot(arch, direct_kernel=True, timeout=15)
    harness.require(r, r"not started by a Multiboot2 loader", "the wrong-loader message")
    harness.require(r, r"make ARCH=x86_64 run", "how to boot it properly")
    assert not r.timed_out and r.exit.kind == "poweroff" and r.exit.status == 3, \
        r.report("expected poweroff with status 3")
