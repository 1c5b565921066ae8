"""The PMO over 64 GiB of RAM, checked from outside the kernel: lab 3's
graded `pytest` test (labs/catalog.json; tools/grade.py runs it against
the graded tree's kernels).

The in-kernel `vm` suite boots with 256 MiB, so a PMO that stops short of
the end of a large machine's RAM passes it. This boot has 64 GiB. The
monitor's `translate` (mm/ptdump.c, not lab code) walks the live tables
for the last page of every GiB of RAM the firmware reports, so what is
checked is the mapping itself, not what pmo_expand says it did.
"""
import re

import harness

MEM = "64G"
GIB, PAGE = 1 << 30, 4096
PHYS_OFFSET = 0xFFFF800000000000

# The page a whole GiB of RAM must get with each arch's default CPU
# (tools/qemu.py): 1 GiB on AArch64 (always there with a 4 KiB granule);
# 2 MiB on x86_64, since qemu64 lacks 1 GiB pages (CPUID 0x80000001 EDX
# bit 26 clear).
LARGE_PAGE = {"x86_64": "2 MiB", "aarch64": "1 GiB"}

LEAF_RE = re.compile(r"(\d+ [KMG]iB) page at PA 0x[0-9a-f]+: (\S+) (\S+) (\S+)")


def ram_runs(log):
    """The firmware's usable RAM as sorted, merged [start, end) runs of whole pages."""
    rows = harness.memmap_table(log, "as the firmware described it")
    assert rows, "no 'memmap: as the firmware described it' table on the console"
    ranges = sorted((start, end) for start, end, kind in rows if kind == "usable")
    runs = []
    for start, end in ranges:
        start, end = -(-start // PAGE) * PAGE, end // PAGE * PAGE
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        elif end > start:
            runs.append([start, end])
    return runs


def probes(runs):
    """(pa, whole_gib) per GiB of each run: the GiB's last page of RAM, and
    whether the run covers that whole GiB (so a large page must map it)."""
    out = []
    for start, end in runs:
        g = start // GIB * GIB
        while g < end:
            lo, hi = max(g, start), min(g + GIB, end)
            out.append((hi - PAGE, lo == g and hi == g + GIB))
            g += GIB
    return out


def test_pmo_maps_all_ram_with_large_pages(arch, boot):
    """With 64 GiB, the last page of every GiB of RAM is mapped at
    PHYS_OFFSET + PA, kernel read-write and not executable, and a whole
    GiB with the large page the CPU offers (not 4 KiB pages); the page just
    past the end of RAM is not mapped."""
    found = {}

    def session(con):
        con.expect(harness.PROMPT)
        con.cursor -= len(harness.PROMPT)
        found["runs"] = runs = ram_runs(con.text)
        for pa, whole in probes(runs):
            found[pa] = (con.monitor(f"translate {PHYS_OFFSET + pa:#x}"), whole)
        end = runs[-1][1]
        found["past"] = con.monitor(f"translate {PHYS_OFFSET + end:#x}")
        con.command("poweroff")

    r = boot(arch, "", mem=MEM, send=session, timeout=60)
    harness.check(r, "ok")
    runs = found["runs"]
    total = sum(e - s for s, e in runs)
    assert total >= 64 * GIB - 2 * 1024 * 1024, r.report(f"QEMU gave {total >> 20} MiB of RAM")
    wrong = []
    for pa, (out, whole) in sorted((k, v) for k, v in found.items() if isinstance(k, int)):
        va = PHYS_OFFSET + pa
        leaf = LEAF_RE.search(out)
        if not re.search(rf"0x{va:x} -> PA 0x{pa:x}\b", out) or not leaf:
            wrong.append(f"PA {pa:#x} (VA {va:#x}) is not mapped to itself in the PMO:\n{out}")
        elif leaf.group(2, 3, 4) != ("rw", "nx", "kernel"):
            wrong.append(f"PA {pa:#x}: {' '.join(leaf.group(2, 3, 4))}, not rw nx kernel")
        elif whole and leaf.group(1) != LARGE_PAGE[arch]:
            wrong.append(f"PA {pa:#x}: a whole GiB of RAM mapped with {leaf.group(1)} pages, "
                         f"not {LARGE_PAGE[arch]}")
    assert not wrong, r.report(f"{len(wrong)} of {len(found) - 2} GiB of RAM wrong; "
                               + "\n".join(wrong[:4]))
    end = runs[-1][1]
    assert "not present" in found["past"], \
        r.report(f"PA {end:#x}, just past the end of RAM, is mapped:\n{found['past']}")
