"""The memory dump (mm/memdump.c) and its reader (tools/memdump.py), the
format in docs/memdump.md.

The reader's tests feed it dumps broken in the ways a log breaks (cut
short, a line lost, a line garbled) and expect an error that names the
line. The kernel's tests boot each arch, dump, and check the dump against
itself and against the kernel's own text commands: the mappings the
kernel lists must be exactly those its dumped tables hold, decoded in the
arch's encoding; the free blocks per order must equal `buddyinfo`'s; no
free block may overlap a page table, a slab or anything not usable RAM.
"""
import json
import os
import re
import subprocess
import sys

import pytest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import memdump  # noqa: E402

TOOL = os.path.join(os.path.dirname(__file__), "..", "tools", "memdump.py")


def record(t, **fields):
    return json.dumps({"t": t, **fields}, separators=(",", ":"))


def small_dump(extra=(), count_delta=0, version=1):
    """A dump of a made-up machine with one kernel table and one mapping."""
    recs = [
        record("machine", arch="x86_64", cpu="test", page_size=4096, levels=4, va_bits=48,
               phys_offset="0xffff800000000000", has_1g_pages=True, wxn=False),
        record("space", name="kernel", root="0x1000", user=False, table_pages=1),
        record("mapping", space="kernel", va="0xffff800000000000", size="0x40000000", pa="0x0",
               page="1G", perms="rw-", user=False, **{"global": True}, memory="normal"),
        record("table", space="kernel", pa="0x1000", level=3, base="0x0",
               entries=[[256, "0x2003"]]),
        record("buddy", span_lo="0x0", span_hi="0x100000", max_order=10, managed_pages=256,
               free_pages=1, bitmap_bytes=64,
               bitmap={"tail": 254, "allocated_head": 1, "free_head": 1, "unmanaged": 0}),
        record("free", order=0, kind="listed", blocks=["0x5000"]),
        *extra,
    ]
    return "\n".join(["boot log before", f"=== duet memdump {version} begin ===", *recs,
                      f"=== duet memdump {version} end: {len(recs) + count_delta} records ===",
                      "duet> "])


def expect_error(text, line, words):
    with pytest.raises(memdump.DumpError) as e:
        memdump.extract(text)
    assert e.value.line == line, f"error names line {e.value.line}, not {line}: {e.value}"
    assert words in str(e.value), str(e.value)


def test_reader_takes_a_dump_out_of_a_log():
    (d,) = memdump.extract(small_dump())
    assert d.arch == "x86_64" and d.line == 2
    assert d.spaces["kernel"].mappings[0]["size"] == 1 << 30
    assert d.free == [(0x5000, 0, "listed")]


def test_reader_names_a_cut_short_dump():
    text = small_dump()
    expect_error(text[:text.index("=== duet memdump 1 end")], 2, "never ends")


def test_reader_names_a_lost_line():
    lines = small_dump().splitlines()
    del lines[4]
    expect_error("\n".join(lines), len(lines) - 1, "lines were lost")


def test_reader_names_a_garbled_line():
    lines = small_dump().splitlines()
    lines[5] = lines[5][:30]
    expect_error("\n".join(lines), 6, "not a JSON record")


@pytest.mark.parametrize("bad, words", [
    (record("slab", pa="0x1000", order=0, object_size=16, capacity=200), "without 'free'"),
    (record("slab", pa="4096", order=0, object_size=16, capacity=200, free=1), "hex string"),
    (record("slab", pa="0x1000", order=-1, object_size=16, capacity=200, free=1), "whole number"),
    (record("frob"), "known kind"),
    (record("free", order=0, kind="stolen", blocks=["0x0"]), "kind 'stolen'"),
    (record("table", space="user", pa="0x9000", level=3, base="0x0", entries=[]), "before its space"),
    (record("table", space="kernel", pa="0x9000", level=3, base="0x0",
            entries=[[5, "0x1"], [4, "0x1"]]), "out of order"),
    (record("table", space="kernel", pa="0x9000", level=4, base="0x0", entries=[]), "level 4"),
    (record("mapping", space="kernel", va="0x0", size="0x1000", pa="0x0", page="4K",
            perms="rwz", user=False, **{"global": False}, memory="normal"), "perms 'rwz'"),
    (record("mapping", space="kernel", va="0x0", size="0x1000", pa="0x0", page="4K",
            perms="rw-", user=False, **{"global": False}, memory="cached"), "memory 'cached'"),
])
def test_reader_names_a_bad_record(bad, words):
    text = small_dump(extra=[bad])
    bad_line = text.splitlines().index(bad) + 1
    expect_error(text, bad_line, words)


def test_reader_names_the_table_whose_entry_points_at_no_dumped_table():
    """An entry of a table (a valid table entry to PA 0x2000, which no
    table record holds) is an error naming the table record's line."""
    text = small_dump()
    (d,) = memdump.extract(text)
    with pytest.raises(memdump.DumpError) as e:
        memdump.mappings_from_tables(d, d.spaces["kernel"])
    table_line = next(n for n, line in enumerate(text.splitlines(), 1) if '"t":"table"' in line)
    assert e.value.line == table_line and "0x2000" in str(e.value), str(e.value)


def test_reader_refuses_another_version():
    expect_error(small_dump(version=3), 2, "version 3")


def test_reader_reads_the_pmo_runs():
    run = record("pmo", va="0xffff800000100000", pa="0x100000", size="0xff00000",
                 pages_4k=256, pages_2m=127, pages_1g=0)
    (d,) = memdump.extract(small_dump(extra=[run], version=2))
    assert d.pmo == [{"t": "pmo", "va": 0xFFFF800000100000, "pa": 0x100000, "size": 0xFF00000,
                      "pages_4k": 256, "pages_2m": 127, "pages_1g": 0}]
    bad = record("pmo", va="0xffff800000100000", pa="0x100000", size="0xff00000",
                 pages_4k=256, pages_2m=127)
    text = small_dump(extra=[bad], version=2)
    expect_error(text, text.splitlines().index(bad) + 1, "without 'pages_1g'")


def test_tool_reports_the_line_and_fails(tmp_path):
    text = small_dump()
    log = tmp_path / "cut.log"
    log.write_text(text[:text.index("=== duet memdump 1 end")])
    p = subprocess.run([sys.executable, TOOL, str(log)], capture_output=True, text=True)
    assert p.returncode == 1 and "line 2" in p.stderr and "cut short" in p.stderr, p.stderr


def test_decoders_read_what_each_arch_writes():
    # x86_64: a 2 MiB leaf, writable, global, not executable (arch/x86_64/include/arch/mmu.h).
    e = 0x200000 | 1 | 2 | (1 << 7) | (1 << 8) | (1 << 63)
    assert memdump.X86.leaf(e, 1) == ("rw-", False, True, "normal")
    assert not memdump.X86.is_table(e, 1) and memdump.X86.is_table(0x3003, 1)
    # AArch64: a user page, read-only, executable at EL0 (UXN clear, PXN set), nG.
    e = 0x40001000 | 3 | (1 << 2) | (1 << 6) | (1 << 7) | (1 << 10) | (1 << 11) | (1 << 53)
    assert memdump.A64.leaf(e, 0) == ("r-x", True, False, "normal")
    assert memdump.A64.is_table(0x40002003, 1) and not memdump.A64.is_table(0x40002003, 0)


# --- the kernel's dump, on each arch ---

BUDDYINFO_RE = re.compile(r"Node 0, zone\s+Normal\s+((?:\d+\s+)+)")
PMO_CENSUS_RE = re.compile(r"pages: (\d+) x 1 GiB, (\d+) x 2 MiB, (\d+) x 4 KiB")


def dump_session(arch, boot):
    """Boot, run buddyinfo (which empties the page cache), dump the kernel
    at once (the dump allocates nothing), then start `forever` in the
    background and dump again with the `hello` program's space loaded too,
    so the second dump holds the kernel's, the live process's and hello's
    spaces; then kill the process. Returns (result, buddyinfo's counts, the
    first dump, the second, the `pmo` command's page counts (1 GiB, 2 MiB,
    4 KiB))."""
    printed = []

    def session(console):
        for line in ("buddyinfo", "memdump", "run forever &", "memdump hello", "pmo"):
            printed.append(console.monitor(line))
        pid = re.search(r"\[(\d+)\] forever", printed[2])
        printed.append(console.monitor(f"kill -9 {pid.group(1) if pid else 0}"))
        # It ends at its next tick in user mode, and the monitor may ask first.
        printed[5:] = [console.monitor_until(
            "ps", re.compile(r"137  killed: signal 9 from pid 0$", re.M))]
        console.command("poweroff")

    r = boot(arch, "", send=session)
    harness.check(r, "ok")
    m = BUDDYINFO_RE.search(printed[0])
    assert m, r.report(f"buddyinfo printed {printed[0]!r}")
    assert re.search(r"^\s+\d+\s+forever\s+137  killed: signal 9", printed[5], re.M), \
        r.report(f"the background process was not killed: {printed[2:]!r}")
    try:
        (kernel_only,) = memdump.extract(printed[1])
        (with_user,) = memdump.extract(printed[3])
    except memdump.DumpError as e:
        raise AssertionError(r.report(str(e))) from None
    census = PMO_CENSUS_RE.search(printed[4])
    assert census, r.report(f"pmo printed {printed[4]!r}")
    return r, [int(x) for x in m.group(1).split()], kernel_only, with_user, \
        tuple(int(x) for x in census.groups())


@pytest.fixture(scope="session")
def dumped(request):
    return {}


def the_dump(arch, boot, dumped):
    if arch not in dumped:        # one boot per arch for the run's xdist workers
        dumped[arch] = harness.once_per_run(("test_memdump", arch),
                                            lambda: dump_session(arch, boot))
    return dumped[arch]


def test_dumped_tables_hold_exactly_the_dumped_mappings(arch, boot, dumped):
    r, _, _, d, _ = the_dump(arch, boot, dumped)
    assert d.arch == arch
    live = [name for name in d.spaces if re.fullmatch(r"forever \(pid \d+\)", name)]
    assert set(d.spaces) == {"kernel", "hello"} | set(live) and len(live) == 1, \
        r.report(f"the dump's spaces: {list(d.spaces)} (one live process, `forever`, expected)")
    for s in d.spaces.values():
        derived = memdump.mappings_from_tables(d, s)
        assert derived == s.mappings, r.report(
            f"space {s.name}: the mappings decoded from the dumped tables differ from the "
            f"kernel's list: {[m for m in derived if m not in s.mappings][:3]} vs "
            f"{[m for m in s.mappings if m not in derived][:3]}")
        assert len(s.tables) == s.table_pages, r.report(f"{s.name}: table count")
    user = d.spaces["hello"]
    assert all(m["user"] and not m["global"] for m in user.mappings)
    assert any(m["va"] == 0x400000 and m["perms"] == "r-x" for m in user.mappings)
    assert not any(m["perms"] == "rwx" for s in d.spaces.values() for m in s.mappings)


def test_dumped_free_blocks_match_buddyinfo(arch, boot, dumped):
    r, counts, d, later, _ = the_dump(arch, boot, dumped)
    assert [d.free_blocks(o) for o in range(d.buddy["max_order"] + 1)] == counts, \
        r.report(f"dump's free blocks per order differ from buddyinfo's {counts}")
    assert not [b for b in d.free if b[2] == "cached"], "buddyinfo left pages in the cache"
    # The bitmap's summary: a free head for each listed block, every page of the span counted.
    states = d.buddy["bitmap"]
    assert states["free_head"] == sum(1 for b in d.free if b[2] == "listed"), states
    assert sum(states.values()) == (d.buddy["span_hi"] - d.buddy["span_lo"]) // 4096, states
    for x in (d, later):
        assert sum(1 << o for _, o, _ in x.free) == x.buddy["free_pages"], \
            r.report("the free blocks do not add up to the free page count")


def test_dumped_memory_does_not_overlap(arch, boot, dumped):
    r, _, _, d, _ = the_dump(arch, boot, dumped)
    usable = [(x["base"], x["base"] + x["size"]) for x in d.regions["kernel"]
              if x["type"] == "usable"]
    free = sorted((pa, pa + (4096 << o)) for pa, o, _ in d.free)
    for (a0, a1), (b0, b1) in zip(free, free[1:]):
        assert a1 <= b0, f"free blocks 0x{a0:x} and 0x{b0:x} overlap"
    for lo, hi in free:
        assert any(u0 <= lo and hi <= u1 for u0, u1 in usable), f"free block 0x{lo:x} not usable RAM"
    used = [(t, t + 4096, "table") for s in d.spaces.values() for t in s.tables]
    used += [(s["pa"], s["pa"] + (4096 << s["order"]), "slab") for s in d.slabs]
    for lo, hi, what in used:
        for f0, f1 in free:
            assert hi <= f0 or f1 <= lo, f"{what} 0x{lo:x} lies in free block 0x{f0:x}"
    assert d.slabs, "no slab dumped, though the monitor has allocated objects by now"


NOT_RAM = ("reserved", "bad RAM")  # mm/memmap.h's mem_type_is_ram


def test_dumped_pmo_runs_are_the_pmos_mappings(arch, boot, dumped):
    """The pmo records are the kernel's PMO mappings joined where they
    continue each other, with the `pmo` command's page counts, and hold
    every byte of RAM at PHYS_OFFSET + its PA."""
    r, _, _, d, census = the_dump(arch, boot, dumped)
    assert d.pmo, r.report("no pmo record in the dump")
    phys_offset = d.machine["phys_offset"]
    runs = []
    for va, pa, level, *_ in memdump.leaves(d, d.spaces["kernel"]):
        if not phys_offset <= va < phys_offset + (1 << 46):
            continue
        size = memdump.level_size(level)
        last = runs[-1] if runs else None
        if last and last["va"] + last["size"] == va and last["pa"] + last["size"] == pa:
            last["size"] += size
        else:
            last = {"t": "pmo", "va": va, "pa": pa, "size": size,
                    "pages_4k": 0, "pages_2m": 0, "pages_1g": 0}
            runs.append(last)
        last[f"pages_{('4k', '2m', '1g')[level]}"] += 1
    assert d.pmo == runs, r.report(f"pmo records {d.pmo} differ from the tables' PMO {runs}")
    for run in d.pmo:
        assert run["va"] == phys_offset + run["pa"]
    assert (sum(x["pages_1g"] for x in d.pmo), sum(x["pages_2m"] for x in d.pmo),
            sum(x["pages_4k"] for x in d.pmo)) == census, r.report(f"`pmo` counted {census}")
    for x in d.regions["kernel"]:
        if x["type"] not in NOT_RAM:
            lo, hi = x["base"] & ~0xFFF, (x["base"] + x["size"] + 0xFFF) & ~0xFFF
            assert any(p["pa"] <= lo and hi <= p["pa"] + p["size"] for p in d.pmo), \
                r.report(f"RAM {x} is in no PMO run")
