"""Physical memory on real boots: the memory map each firmware gives for
several RAM sizes, the allocator suites on each, and allocator misuse.

The firmware's map must account for the RAM QEMU was given: on AArch64
`virt` all of it is RAM at 0x4000_0000; on x86_64 the PC's BIOS keeps
under 1 MiB for itself (the EBDA and the ROM area below 1 MiB, ACPI tables
at the top of low RAM), and above 3 GiB QEMU moves RAM above the PCI hole
at 4 GiB, which the map must follow.
"""
import re

import pytest

import harness
import ktap
from qemu import size_bytes  # tools/qemu.py, on the path through harness

SIZES = ["128M", "1G", "3G", "4G", "64G"]
RAM_TYPES = {"usable", "kernel", "early alloc", "boot tables", "firmware info", "boot module"}
X86_FIRMWARE_KEEPS = 1 << 20        # at most this much of the RAM goes to the BIOS


@pytest.mark.parametrize("mem", SIZES)
def test_memory_map_accounts_for_ram(arch, boot, mem):
    """With MEM=<mem>, the allocator suites pass, the buddy suite draining
    all of RAM (`buddy_drain=all`; `ktest=all` stops after 1 GiB), and the
    normalised map's RAM (usable plus what the kernel itself holds) is what
    QEMU was given, less at most what the firmware keeps."""
    r = boot(arch, "ktest=memmap,buddy,kmalloc buddy_drain=all", mem=mem, timeout=60)
    harness.check(r, "ok")
    check_map_accounts_for_ram(r, arch, mem)


# Past 128 GiB of span one block of the largest order no longer holds a bit
# a page (the buddy suite's shadow bitmap), and at 1 TiB the allocator's
# bitmap and the PMO's tables are at their largest yet. x86_64's default
# CPU (qemu64) has 40 physical address bits, and QEMU puts the RAM above
# 4 GiB at 1 TiB when it would cross the HyperTransport hole below 1 TiB:
# 1 TiB of RAM then ends near 2 TiB, which needs 41 bits (tools/qemu.py
# adds them).
LARGE_SIZES = ["200G", "1T"]
# The suites whose out-of-memory cases take every free block and give it
# back: 262,144 blocks of 4 MiB at 1 TiB, 2 s of the boot each (x86_64,
# idle), and nothing the same cases at 200 GiB (51,200 blocks) do not show.
# They run at 200 GiB with the buddy suite draining all of RAM; every other
# suite runs at 1 TiB.
EVERY_BLOCK_TAKEN = ("aspace", "cow")
# The timer suite spins for half a second of the guest's clock to measure
# the tick against it, and allocates nothing: the RAM's size changes
# nothing it checks. It runs in every ktest=all boot instead.
CLOCK_ONLY = ("timer",)


@pytest.mark.parametrize("mem", LARGE_SIZES)
def test_every_suite_passes_on_large_ram(arch, boot, mem):
    """With MEM=<mem> (sparse on the host), every suite but the timer's
    (CLOCK_ONLY) passes at one of the two sizes and the map accounts for
    the RAM. At 200 GiB the buddy
    suite drains all of RAM (`buddy_drain=all`), which puts blocks in both
    pieces of its shadow bitmap, and EVERY_BLOCK_TAKEN run; at 1 TiB every
    other suite runs, the buddy suite stopping after 1 GiB. One boot per
    arch and size: about 1.3-2.5 s at 200 GiB and 2-3 s at 1 TiB on an
    idle machine (200 GiB ran every suite, 2.6-3.7 s)."""
    ran = ktap.parse(harness.cached_boot(arch, harness.KTEST_ALL).log)
    suites = dict.fromkeys(path[0] for path, _ in ran.leaves())
    assert set(EVERY_BLOCK_TAKEN + CLOCK_ONLY) <= set(suites), "a suite left out at 1 TiB is gone"
    if mem == "200G":
        spec = "ktest=" + ",".join(("buddy",) + EVERY_BLOCK_TAKEN) + " buddy_drain=all"
    else:
        spec = "ktest=" + ",".join(s for s in suites if s not in EVERY_BLOCK_TAKEN + CLOCK_ONLY)
    r = boot(arch, spec, mem=mem, timeout=90)
    harness.check(r, "ok")
    check_map_accounts_for_ram(r, arch, mem)


def check_map_accounts_for_ram(r, arch, mem):
    """The normalised map's RAM (usable plus what the kernel itself holds)
    is what QEMU was given, less at most what the firmware keeps."""
    rows = harness.memmap_table(r.log, "normalised")
    assert rows, r.report("no 'memmap: normalised' table in the boot log")
    ram = sum(end - start for start, end, kind in rows if kind in RAM_TYPES)
    given = size_bytes(mem)
    if arch == "aarch64":
        assert ram == given, r.report(f"the map holds {ram:#x} bytes of RAM, QEMU gave {given:#x}")
        assert rows[0][0] == 0x40000000, r.report("AArch64 RAM does not start at 0x4000_0000")
    else:
        assert given - X86_FIRMWARE_KEEPS <= ram <= given, \
            r.report(f"the map holds {ram:#x} bytes of RAM, QEMU gave {given:#x}")
        if given > 3 << 30:
            assert any(start >= 1 << 32 for start, _, kind in rows if kind == "usable"), \
                r.report("no usable RAM above 4 GiB, though QEMU put RAM there")
    harness.require(r, re.compile(r"^buddy: \d+ KiB free in \d+ pages", re.MULTILINE),
                    "the buddy allocator's start-up line")


MISUSE = {
    "double-free": r"buddy_free_pages: double free of 0x[0-9a-f]+ \(order 0\)",
    "free-wrong-order": r"buddy_free_pages: 0x[0-9a-f]+ freed with order 3, but it was "
                        r"allocated with order 2",
    "free-unaligned": r"buddy_free_pages: 0x[0-9a-f]+ is not aligned to its order 1",
    "free-kernel": r"buddy_free_pages: 0x[0-9a-f]+ is not memory the buddy allocator manages",
    "kfree-twice": r"kfree: double free of 0x[0-9a-f]+ \(a 64-byte object\)",
}


@pytest.mark.parametrize("crash", list(MISUSE))
def test_allocator_misuse_panics(arch, boot, crash):
    """Misusing the allocators ends in a panic whose message names the
    address and the mistake, with the panic status 3."""
    r = boot(arch, f"crash={crash}")
    harness.check(r, "crash", expect_status=3)
    harness.require(r, re.compile(r"\*\*\* KERNEL PANIC at mm/\S+: " + MISUSE[crash]),
                    f"crash={crash}: the panic does not name the address and the mistake")
