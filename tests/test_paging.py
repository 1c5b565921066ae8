"""Page tables on real boots: the PMO's page sizes per CPU, its table
count, the W^X audit, the protections each CPU offers, and the monitor's
views of the tables (ptdump, translate, pmo)."""
import re

import pytest

import harness

PMO_RE = re.compile(r"^pmo: (\d+) MiB of RAM at 0x[0-9a-f]+: (\d+) x 1 GiB, (\d+) x 2 MiB, "
                    r"(\d+) x 4 KiB pages; (\d+) table pages$", re.MULTILINE)

# The CPUs without 1 GiB pages: the PMO must use 2 MiB ones there.
NO_GIGABYTE_PAGES = {("x86_64", "qemu64")}


@pytest.mark.per_arch("cpu", {"x86_64": ["qemu64", "max"], "aarch64": ["cortex-a53", "cortex-a72", "max"]})
def test_pmo_page_sizes_and_table_count(arch, cpu, boot):
    """With MEM=64G the PMO maps all RAM with the largest pages the CPU has
    (1 GiB where it can, 2 MiB otherwise) and the fewest tables that allows:
    one more per GiB with 2 MiB pages, a handful for the unaligned low-memory
    edges of the PC."""
    gigabyte_pages = (arch, cpu) not in NO_GIGABYTE_PAGES
    r = boot(arch, "ktest=vm", mem="64G", cpu=cpu, timeout=60)
    harness.check(r, "ok")
    m = harness.require(r, PMO_RE, "the pmo: boot line")
    mib, g1, m2, k4, tables = (int(x) for x in m.groups())
    assert mib >= 64 * 1024 - 1, r.report(f"the PMO maps {mib} MiB of 64 GiB")
    if gigabyte_pages:
        assert g1 >= 62, r.report(f"{cpu} has 1 GiB pages but the PMO used {g1}")
        assert tables <= 8, r.report(f"{tables} table pages for a PMO of 1 GiB pages")
    else:
        assert g1 == 0 and m2 >= 32000, r.report(f"{cpu} has no 1 GiB pages: {g1} x 1G, {m2} x 2M")
        assert tables <= 64 + 4, r.report(f"{tables} table pages: more than one per GiB + edges")


def test_no_page_is_writable_and_executable(arch, shared_boot):
    """The W^X audit at the end of boot finds nothing, and ptdump shows the
    kernel image per segment: text r-x, rodata r--, data rw-, all NX but text."""
    r = shared_boot(arch, "ktest=printf ptdump")
    harness.check(r, "ok")
    harness.require(r, re.compile(r"^wx: 0 pages writable and executable$", re.MULTILINE),
                    "the W^X audit's result")
    rows = re.findall(r"^0x(ffffffff8[0-9a-f]+)-0x[0-9a-f]+\s+\S+ 4K\s+(RW|ro) (x |NX) GLB normal$",
                      r.log, re.MULTILINE)
    perms = {(rw, x) for _, rw, x in rows}
    assert ("ro", "x ") in perms and ("ro", "NX") in perms and ("RW", "NX") in perms, \
        r.report(f"ptdump's kernel rows lack text, rodata or data: {rows}")
    assert ("RW", "x ") not in perms, r.report("ptdump shows a writable, executable kernel page")


PROTECTIONS = {("x86_64", "qemu64"): ["WP", "NX"], ("x86_64", "max"): ["SMEP", "SMAP"],
               ("aarch64", "cortex-a72"): ["WXN"], ("aarch64", "max"): ["WXN", "PAN"]}


@pytest.mark.per_arch("cpu", {"x86_64": ["qemu64", "max"], "aarch64": ["cortex-a72", "max"]})
def test_cpu_protections_are_on(arch, cpu, boot):
    """Every protection the CPU offers is switched on once the kernel's
    tables are live (x86: SMEP and SMAP; AArch64: WXN, and PAN on CPUs that
    have it)."""
    r = boot(arch, "ktest=printf", cpu=cpu)
    harness.check(r, "ok")
    m = harness.require(r, re.compile(r"^kmap: kernel tables live; protections: (.*)$",
                                      re.MULTILINE), "the protections line")
    for name in PROTECTIONS[(arch, cpu)]:
        assert name in m.group(1).split(), r.report(f"{name} is not on with -cpu {cpu}")


def test_monitor_translate_and_pmo(arch, boot):
    """`translate` walks the tables level by level down to the page and its
    physical address; an unmapped address says so; `pmo` summarises the PMO."""
    pmo_va = 0xffff800000000000 + (0x40200000 if arch == "aarch64" else 0x200000)

    def session(con):
        con.command(f"translate {pmo_va:#x}")
        con.command("translate 0x1000")
        con.command("pmo")
        con.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    harness.require(r, re.compile(r"L3 \(root\) index 256 .* table at PA"), "the root entry")
    harness.require(r, re.compile(rf"0x{pmo_va:x} -> PA 0x{pmo_va - 0xffff800000000000:x}"),
                    "the translation of a PMO address")
    harness.require(r, "not present: 0x1000 is not mapped", "an unmapped address")
    harness.require(r, re.compile(r"^PMO: PA 0x[0-9a-f]+\.\.0x[0-9a-f]+ at 0xffff8", re.MULTILINE),
                    "the pmo command")
