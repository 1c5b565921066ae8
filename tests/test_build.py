"""The build: what `make` produces and refuses, with both toolchains."""
import os
import re
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


@pytest.mark.aarch64
def test_a_moved_tree_or_a_missing_compiler_rebuilds_nothing(tmp_path):
    """A copy of the tree elsewhere keeps its objects (-ffile-prefix-map
    keeps the directory out of them, so it is not part of the flags' record),
    and a make with a compiler that is not there changes no record: the next
    make with the real one has nothing to compile."""
    tree = harness.copy_of_tree(tmp_path / "moved", builds=["aarch64"])

    def make(*args):
        return subprocess.run(["make", "--no-print-directory", "ARCH=aarch64", *args], cwd=tree,
                              env=harness.make_env(), capture_output=True, text=True,
                              timeout=harness.scaled(120))
    missing = make("CROSS_COMPILE=duet-missing-")
    assert "duet-missing-gcc" in missing.stdout + missing.stderr
    dry = make("-n", "all")
    assert dry.returncode == 0 and " -c " not in dry.stdout, dry.stdout[-3000:]


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


def test_llvm_build_passes_usertests(arch, boot):
    """The processes' user-space suite (user/programs/usertests.c) passes on
    the kernel and programs clang built, as on GCC's (test_processes.py)."""
    b = require_build(arch, llvm=True)
    r = boot(arch, "run=usertests poweroff", build=b.build_dir, timeout=300)
    harness.check(r, "ok")
    failed = re.findall(r"^usertests: (\w+): FAILED: (.*)$", r.log, re.M)
    assert not failed, r.report(f"usertests failed under LLVM: {failed}")
    harness.require(r, "run: usertests exited with status 0", "usertests did not pass")


@pytest.mark.x86_64
@pytest.mark.parametrize("method, info", [("grub", "multiboot2"), ("direct", "PVH start info")])
def test_x86_boots_through_grub_and_directly(arch, boot, method, info):
    """x86_64 boots both ways with what its loader left: GRUB's Multiboot2
    information (the ISO, `make run`'s default) and the PVH start info of
    QEMU's -kernel (`BOOT=direct`, what the rest of the suite uses). Each
    gives the command line and a memory map that the allocators' suites
    pass on."""
    r = boot(arch, "ktest=memmap,buddy duet-probe 'two words'", boot_method=method)
    harness.check(r, "ok")
    harness.require(r, re.compile(rf"^  boot:    {info} at PA 0x[0-9a-f]+$", re.M),
                    f"the boot line naming the {info}")
    harness.require(r, "  cmdline: ktest=memmap,buddy duet-probe 'two words'", "the command line")