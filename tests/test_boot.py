"""Booting: the banner, the virtual layout, the command line, CPU models.

The banner (boot/banner.c) is the first thing every boot prints and the
same shape on both arches; these tests read it from one shared `ktest=all`
boot per arch. The command-line tests boot with their own strings, and
the CPU tests boot each supported CPU model (and, on AArch64, entry at
EL2) to the monitor and power off from there.
"""
import re

import pytest

import harness
from harness import PROMPT

PHYS_OFFSET = 0xFFFF_8000_0000_0000
PMO_END = 0xFFFF_BFFF_FFFF_FFFF
MMIO_BASE = 0xFFFF_C000_0000_0000
KSTACK_BASE = 0xFFFF_E000_0000_0000  # the MMIO window ends here
KERNEL_VIRT_BASE = 0xFFFF_FFFF_8000_0000
USER_BASE = 0x40_0000
USER_END = 0x0000_7FFF_FFFF_FFFF
PAGE = 4096

# "    .text    0xffffffff80404000-0xffffffff80406ca1     11 KiB  r-x"
LAYOUT_RE = re.compile(r"^    (\S+)\s+0x([0-9a-f]{16})-0x([0-9a-f]{16})\s*(?:(\d+) KiB)?\s*(.*?)\s*$")
SECTIONS = {".text": "r-x", ".rodata": "r--", ".data": "rw-", ".bss": "rw-", "stack": "rw-"}


def banner_lines(r):
    """The lines of the first banner, from 'Duet kernel on' to the end of the layout."""
    lines = r.log.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Duet kernel on "):
            end = i + 1
            while end < len(lines) and (lines[end].startswith("  ")):
                end += 1
            return lines[i:end]
    pytest.fail(r.report("no 'Duet kernel on <arch>' banner"), pytrace=False)


def layout(r):
    """{name: (start, end, size_kib or None, attributes)} from the banner."""
    rows = {}
    for line in banner_lines(r):
        m = LAYOUT_RE.match(line)
        if m:
            name, start, end, kib, attrs = m.groups()
            rows[name] = (int(start, 16), int(end, 16), None if kib is None else int(kib), attrs)
    return rows


def test_banner_header(arch, shared_boot):
    """The banner names the arch, describes the CPU, shows the command line
    and announces the layout, in that order."""
    r = shared_boot(arch, harness.KTEST_ALL)
    lines = banner_lines(r)
    assert lines[0] == f"Duet kernel on {arch}", r.report(f"first banner line {lines[0]!r}")
    assert re.fullmatch(r"  cpu:     \S.*", lines[1]), r.report(f"cpu line {lines[1]!r}")
    assert lines[2] == f"  cmdline: {harness.KTEST_ALL}", r.report(f"cmdline line {lines[2]!r}")
    assert lines[3] == "  layout (virtual):", r.report(f"layout line {lines[3]!r}")


def test_layout_regions(arch, shared_boot):
    """The fixed regions of the design's memory map: user space above the
    4 MiB NULL guard, the PMO at PHYS_OFFSET, the MMIO window above it, the
    kernel threads' stacks above that, the kernel image in the top 2 GiB."""
    r = shared_boot(arch, harness.KTEST_ALL)
    rows = layout(r)
    for name in ("user", "pmo", "mmio", "kstacks", "kernel", *SECTIONS):
        assert name in rows, r.report(f"no '{name}' line in the layout")
    assert rows["user"][:2] == (USER_BASE, USER_END), r.report("user space range")
    assert rows["pmo"][:2] == (PHYS_OFFSET, PMO_END), r.report("PMO range")
    assert rows["mmio"][:2] == (MMIO_BASE, KSTACK_BASE - 1), r.report("MMIO range")
    ks_start, ks_end = rows["kstacks"][:2]
    assert ks_start == KSTACK_BASE and ks_start < ks_end < KERNEL_VIRT_BASE, \
        r.report(f"kernel stacks 0x{ks_start:x}-0x{ks_end:x}")
    k_start, k_end = rows["kernel"][:2]
    assert KERNEL_VIRT_BASE <= k_start < k_end, \
        r.report(f"kernel image 0x{k_start:x}-0x{k_end:x} is not in the top 2 GiB")
    assert k_start % PAGE == 0, r.report(f"kernel start 0x{k_start:x} is not page aligned")


def test_layout_sections(arch, shared_boot):
    """Each kernel section has its permissions (.text r-x, .rodata r--, .data,
    .bss and the stack rw-), starts on a page boundary (permissions are per
    page), lies inside the kernel image, does not overlap another, and its
    printed size matches its range."""
    r = shared_boot(arch, harness.KTEST_ALL)
    rows = layout(r)
    k_start, k_end = rows["kernel"][:2]
    spans = []
    for name, perm in SECTIONS.items():
        assert name in rows, r.report(f"no '{name}' line in the layout")
        start, end, kib, attrs = rows[name]
        assert attrs == perm, r.report(f"{name} is '{attrs}', expected '{perm}'")
        assert start % PAGE == 0, r.report(f"{name} starts at 0x{start:x}, not page aligned")
        assert k_start <= start <= end <= k_end, \
            r.report(f"{name} 0x{start:x}-0x{end:x} is outside the kernel image")
        assert kib == (end - start) // 1024, r.report(f"{name} size {kib} KiB is wrong")
        spans.append((start, end, name))
    spans.sort()
    for (_, end_a, a), (start_b, _, b) in zip(spans, spans[1:]):
        assert end_a <= start_b, r.report(f"{a} and {b} overlap")
    text = rows[".text"]
    assert text[1] > text[0], r.report(".text is empty")


# --- the command line ---------------------------------------------------------------

# Every kind of character GRUB's quoting must carry, in one command line
# (one GRUB boot, 1.2 s, instead of one per kind): plain words, double
# quotes, single quotes, a backslash, '$' variables, ';' and braces.
CMDLINE = ("duet-probe=7f3a9c second-word msg=\"hello quoted world\" it's 'single' "
           "a\\b $HOME ${x} ;semi {brace} end")


def test_cmdline_arrives(arch, boot):
    """The command line reaches the kernel unchanged as `make run` boots:
    QEMU's -append on AArch64, a GRUB script variable on x86_64 (so quotes,
    backslashes and '$' must survive GRUB's quoting). The rest of the suite
    boots x86_64 directly, where -append carries it too."""
    r = boot(arch, CMDLINE, boot_method="", send=harness.script((PROMPT, "poweroff\n")))
    harness.check(r, "ok")
    line = next((l for l in banner_lines(r) if l.startswith("  cmdline:")), None)
    assert line == f"  cmdline: {CMDLINE}", \
        r.report(f"the kernel saw {line!r}, expected '  cmdline: {CMDLINE}'")


# --- CPU models and entry levels ------------------------------------------------------

def boots_to_monitor(r, arch):
    """The boot reached the monitor, printed the banner and powered off cleanly."""
    harness.check(r, "ok")
    harness.require(r, f"Duet kernel on {arch}", "no banner")
    harness.require(r, "Powering off (status 0).", "the monitor did not run 'poweroff'")


@pytest.mark.x86_64
@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_x86_cpu_models(arch, boot, cpu):
    """The kernel boots on the baseline qemu64 CPU (no 1 GiB pages) and on
    QEMU's 'max' CPU (every feature QEMU has)."""
    r = boot(arch, "", cpu=cpu, send=harness.script((PROMPT, "poweroff\n")))
    boots_to_monitor(r, arch)


AARCH64_CPU_NAMES = {"cortex-a53": "Cortex-A53", "cortex-a72": "Cortex-A72", "max": "max"}


def cpu_line(r):
    return next((l for l in banner_lines(r) if l.startswith("  cpu:")), "")


@pytest.mark.aarch64
@pytest.mark.parametrize("cpu", list(AARCH64_CPU_NAMES))
def test_aarch64_cpu_models(arch, boot, cpu):
    """The kernel boots on an in-order Cortex-A53, the default Cortex-A72
    and QEMU's 'max' CPU (Armv8.x features the others lack), entered at
    EL1, and names the CPU it found."""
    r = boot(arch, "", cpu=cpu, send=harness.script((PROMPT, "poweroff\n")))
    boots_to_monitor(r, arch)
    line = cpu_line(r)
    assert AARCH64_CPU_NAMES[cpu] in line and "entered at EL1" in line, \
        r.report(f"the cpu line {line!r} does not name {AARCH64_CPU_NAMES[cpu]} entered at EL1")


@pytest.mark.aarch64
@pytest.mark.parametrize("cpu", ["cortex-a53", "max"])
def test_aarch64_entry_at_el2(arch, boot, cpu):
    """With virtualization=on QEMU enters the kernel at EL2 (as firmware
    on real boards does); boot.S must drop to EL1 and everything must
    still work. The banner confirms that the EL2 path really ran."""
    r = boot(arch, "", cpu=cpu, machine="virtualization=on",
             send=harness.script((PROMPT, "poweroff\n")))
    boots_to_monitor(r, arch)
    line = cpu_line(r)
    assert "entered at EL2" in line, r.report(f"the cpu line {line!r} does not say EL2")


# The early PMO per arch and RAM size (and x86_64 firmware: qboot for the
# direct boot, SeaBIOS under GRUB, whose memory maps differ): what boot.S
# maps before the memory map is read, and the 2 MiB and 4 KiB pages C adds
# from it. SeaBIOS reserves the last 128 KiB below 256 MiB: a 2 MiB page
# that is RAM only in part where a reservation begins.
EARLY_PMO = {
    "aarch64": ("aarch64: early PMO: the DTB and the image, and",
                {"129M": (62, 256), "2G": (510, 0)}),
    "x86_64": ("x86_64: early PMO: the first 2 MiB, the image, the loader's block, and",
               {"129M": (62, 256), "256M": (126, 0), "256M-grub": (125, 480), "2G": (510, 0)}),
}


@pytest.mark.per_arch("mem", {a: list(sizes) for a, (_, sizes) in EARLY_PMO.items()})
def test_early_pmo_maps_only_ram(arch, mem, boot):
    """boot.S maps in the PMO only what is RAM for certain (AArch64: the
    DTB and the image; x86_64: the first 2 MiB less the legacy VGA/ROM
    window, the image and GRUB's Multiboot2 block); C then adds the first
    GiB's RAM from the firmware's map: 2 MiB pages, 4 KiB pages in the
    2 MiB where RAM ends or a reservation begins, nothing past the end of
    RAM. The early allocator takes the kernel's tables from the top of
    RAM, so an edge left unmapped crashes the boot."""
    prefix, sizes = EARLY_PMO[arch]
    blocks, pages = sizes[mem]
    mem, _, method = mem.partition("-")
    r = boot(arch, "ktest=pmo", mem=mem, boot_method=method or "direct")
    harness.check(r, "ok")
    harness.require(r, f"{prefix} {blocks} x 2 MiB, {pages} x 4 KiB of RAM",
                    "the early PMO did not map exactly the RAM of the first GiB")


@pytest.mark.aarch64
def test_a_cpu_that_is_not_cpu0_says_why_it_stops(arch, boot):
    """With two CPUs, the devices suite sends the second to the kernel's
    entry (PSCI CPU_ON): boot.S stops it with a line that says why, instead
    of parking it silently, and the boot CPU goes on."""
    r = boot(arch, "ktest=devices", smp=2)
    harness.check(r, "ok")
    harness.require(r, "duet: this CPU's MPIDR affinity is not 0, so it stops here",
                    "the second CPU did not say why it stops")
