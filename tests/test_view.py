"""The memory viewer (tools/view.py, tools/view/viewer.js) in a real browser:
Debian's Chromium, headless, driven through its ChromeDriver
(tools/browser.py).

One boot per arch dumps the kernel's memory with the `hello` program's
space loaded and asks the monitor's `translate` for a few walks; the page
built from those dumps must load with no console message and no request
beyond itself, show the dumps' own numbers, and walk an address exactly as
`translate` does, from the walk box and from a click on the address band.
A screenshot per arch is kept in build/test-logs/.
"""
import concurrent.futures
import contextlib
import json
import os
import re
import sys

import pytest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import browser  # noqa: E402
import memdump  # noqa: E402
import view  # noqa: E402
from test_labs import shared_tree  # noqa: E402

ARCHES = ("x86_64", "aarch64")  # the page's column order
KERNEL_TEXT = 0xFFFFFFFF80404000  # the kernel's first executable page (docs/memory-layout.md)
WALKS = (KERNEL_TEXT, 0xFFFF800000123456, 0xFFFF800004123456, 0x400000, 0xFFFFC00000000000, 0x7F0000000000)
RESULT_RE = re.compile(r"(0x[0-9a-f]+) -> PA (0x[0-9a-f]+)")
# The lines of a walk as the monitor's `translate` prints them (mm/ptdump.c):
# a line per level, then the PA it ends at.
WALK_LINE_RE = re.compile(r"^  (L[0-3] \(|0x[0-9a-f]+ -> PA )")


def need_browser():
    """Skip where tools/deps.sh could not install Chromium (Ubuntu has it only
    as a snap); make deps installs it everywhere apt has it."""
    missing = browser.available()
    if missing:
        pytest.skip(f"no browser to drive: {missing}; apt has no Chromium deb here")


def walk_lines(text):
    """The walk's lines in a text: `translate`'s output, or the page's walk
    without its header and the lines naming each entry's bits."""
    return [line.rstrip("\r") for line in text.splitlines() if WALK_LINE_RE.match(line)]


def dump_and_walk(arches):
    """({arch: the dump}, {arch: {va: translate's walk}}), a boot per arch,
    the arches at once."""

    def one(arch):
        harness.require_build(arch)
        printed = []

        def session(console):
            printed.append(console.monitor("memdump hello"))
            for va in WALKS:
                printed.append(console.monitor(f"translate 0x{va:x}"))
            console.command("poweroff")

        r = harness.boot(arch, "", send=session, log_name=f"test_view-{arch}")
        harness.check(r, "ok")
        (dump,) = memdump.extract(printed[0])
        return dump, {va: walk_lines(t) for va, t in zip(WALKS, printed[1:])}

    with concurrent.futures.ThreadPoolExecutor(len(arches)) as pool:
        found = dict(zip(arches, pool.map(one, arches)))
    return {a: d for a, (d, _) in found.items()}, {a: w for a, (_, w) in found.items()}


def launch():
    """A Browser that has shown a first page: Chromium's first navigation
    starts its renderer (~0.5 s), whatever the page."""
    b = browser.Browser()
    try:
        b.open("about:blank")
    except BaseException:
        b.close()
        raise
    return b


@pytest.fixture(scope="session")
def launching():
    """This process's one browser, shared by every test of the file (a
    launch costs ~2 CPU-seconds, a page ~0.2 s), as it is being launched:
    in the background, so that it starts while `page`'s kernels boot."""
    need_browser()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = pool.submit(launch)
        try:
            yield started
        finally:
            if started.exception() is None:
                started.result().close()


@contextlib.contextmanager
def alone(b, path):
    """The page at path loaded in a tab of its own, closed after; the
    console read before it opens, so b.console() holds only what that page
    logged (the browser's other tab is idle meanwhile)."""
    b.console()
    with b.tab(path.as_uri()):
        b.wait_for("return document.body.dataset.ready")
        yield b


@pytest.fixture(scope="session")
def page(request, tmp_path_factory, launching):
    """Boot each arch under test once; the page's path, each arch's dump
    and `translate`'s answers for WALKS."""
    out = tmp_path_factory.mktemp("view")
    arches = [a for a in ARCHES if a in harness.selected_arches(request.config)]
    # Booted by one xdist worker; the other reads its dumps back.
    dumps, walks = harness.once_per_run(("test_view", tuple(arches)),
                                        lambda: dump_and_walk(arches))
    path = out / "index.html"
    path.write_text(view.page([dumps[a] for a in arches], "tests/test_view.py"))
    return path, dumps, walks


@pytest.fixture(scope="session")
def shown(page, launching):
    """The page open in the browser's first tab, with what it logged and
    requested on load (the logs read before it opens: its own only)."""
    path, _, _ = page
    url = path.as_uri()
    b = launching.result()
    b.console()
    b.requests(url)
    b.open(url)
    b.wait_for("return document.body.dataset.ready")
    return b, b.console(), b.requests(url), url


def test_page_loads_clean_and_alone(shown, page):
    b, console, requests, url = shown
    assert console == [], f"the page logged to the console: {console}"
    assert requests == [url], f"the page requested more than itself: {requests}"
    assert b.script("return document.querySelectorAll('.column').length") == len(page[1])


def size_text(n):
    """viewer.js's sizeText."""
    units, u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], 0
    while n >= 1024 and n % 1024 == 0 and u < len(units) - 1:
        n //= 1024
        u += 1
    return f"{n} {units[u]}"


def test_page_shows_the_dumps_numbers(shown, page, arch):
    b = shown[0]
    d = page[1][arch]

    # Every number of the column in one round trip to the browser:
    # {"key:<data-key>": text, "order:<data-order>": text}.
    cells = b.script(
        "const col = document.getElementById(arguments[0]); const out = {};"
        "for (const e of col.querySelectorAll('[data-key]')) out['key:' + e.dataset.key] = e.textContent;"
        "for (const e of col.querySelectorAll('[data-order]')) out['order:' + e.dataset.order] = e.textContent;"
        "return out;", f"arch-{arch}")

    for name, s in d.spaces.items():
        assert cells.get(f"key:mappings-{name}") == str(len(s.mappings))
        assert cells.get(f"key:tables-{name}") == str(len(s.tables))
        for p in ("4K", "2M", "1G"):
            mapped = sum(m["size"] for m in s.mappings if m["page"] == p)
            assert cells.get(f"key:bytes-{name}-{p}") == size_text(mapped), (name, p)
    for o in range(d.buddy["max_order"] + 1):
        assert cells.get(f"order:{o}") == str(d.free_blocks(o)), f"order {o}"
    assert cells.get("key:free_pages") == str(d.buddy["free_pages"])
    assert cells.get("key:slabs") == str(len(d.slabs))
    assert cells.get("key:pmo-runs") == str(len(d.pmo)) and d.pmo
    assert cells.get("key:pmo-pages") == ", ".join(
        f"{sum(x['pages_' + p.lower()] for x in d.pmo)} x {p}" for p in ("1G", "2M", "4K"))

def test_walk_box_walks_as_translate_does(shown, page, arch):
    b = shown[0]
    d = page[1][arch]
    user = {va: pa for va, pa, *_ in memdump.leaves(d, d.spaces["hello"])}
    for n, (va, printed) in enumerate(page[2][arch].items()):
        # The first walk from the button, the others from Enter typed after
        # the address: each input event costs Chromium ~3 ms of CPU.
        if n == 0:
            b.type(f"input[data-input={arch}]", f"0x{va:x}")
            b.click(f"button[data-go={arch}]")
        else:
            b.type(f"input[data-input={arch}]", f"0x{va:x}" + browser.ENTER)
        text = b.script(f"return document.querySelector('[data-walk={arch}]').textContent")
        assert text.startswith(f"walk of 0x{va:x} "), f"{arch}: typed 0x{va:x}, the page shows {text}"
        if va < 1 << 47:
            # translate walks the kernel's tables; the page walks hello's for
            # user addresses, and must end where hello's leaf says.
            got = RESULT_RE.search(text)
            want = user.get(va)
            assert (int(got.group(2), 16) if got else None) == want, \
                f"{arch} 0x{va:x}: the page walked\n{text}\nhello's tables map it to {want}"
            continue
        assert printed, f"translate 0x{va:x} printed no walk"
        assert walk_lines(text) == printed, \
            f"{arch} 0x{va:x}: the page walked\n{text}\ntranslate printed\n" + "\n".join(printed)


def test_side_by_side_states_the_differences(shown, page):
    """Above the columns, for both arches: the same layout, each CPU's
    1 GiB pages and WXN, the PMO's pages of each size, and the kernel's
    first text page's leaf entry in each encoding, as `translate` read it."""
    if len(page[1]) < 2:
        pytest.skip("one arch under test: nothing side by side")
    b = shown[0]
    rows = b.script("const out = {};"
                    "for (const tr of document.querySelectorAll('table.diff tr'))"
                    "  out[tr.cells[0].textContent] ="
                    "    [...tr.cells].slice(1).map((c) => c.textContent);"
                    "return out;")
    dumps = [page[1][a] for a in ARCHES]
    assert rows[""] == list(ARCHES)
    assert rows["virtual layout"] == ["the same", "the same"]
    assert dumps[0].areas == dumps[1].areas
    assert rows["1 GiB pages"] == [str(d.machine["has_1g_pages"]).lower() for d in dumps]
    assert rows["WXN"] == [str(d.machine["wxn"]).lower() for d in dumps]
    assert rows["PMO pages"] == [", ".join(f"{sum(x['pages_' + p.lower()] for x in d.pmo)} x {p}"
                                           for p in ("1G", "2M", "4K")) for d in dumps]
    for arch, shown_entry in zip(ARCHES, rows["kernel text, its leaf entry"]):
        leaf = page[2][arch][KERNEL_TEXT][-2]   # translate's last level, before the PA line
        entry = int(re.search(r"entry (0x[0-9a-f]+)", leaf).group(1), 16)
        assert shown_entry.startswith(f"0x{KERNEL_TEXT:x}: entry 0x{entry:x} "), (arch, shown_entry)


def test_tree_shows_every_entry_decoded(shown, page, arch):
    """Every table of every space is in the tree, and every valid entry,
    a table's as well as a leaf's, shows its raw value and its bits named
    as tools/memdump.py decodes them."""
    b = shown[0]
    d = page[1][arch]
    enc = memdump.DECODERS[arch]
    # Open every table; each opens its children, which the next round opens.
    b.wait_for("const col = document.getElementById(arguments[0]); let closed = 0;"
               "for (const t of col.querySelectorAll('details[data-table]'))"
               "  if (!t.open || !t.dataset.filled) { t.open = true; closed++; }"
               "return closed === 0;".replace("arguments[0]", repr(f"arch-{arch}")))
    shown_rows = b.script(
        "const out = {};"
        "const col = document.getElementById(arguments[0]);"
        "for (const t of col.querySelectorAll('details[data-table]')) {"
        "  const rows = {};"
        "  for (const c of t.children) if (c.dataset.index !== undefined)"
        "    rows[c.dataset.index] ="
        "      c.tagName === 'DETAILS' ? c.querySelector('summary').textContent : c.textContent;"
        "  out[t.dataset.space + ' ' + t.dataset.table] = rows;"
        "} return out;", f"arch-{arch}")
    for s in d.spaces.values():
        for pa, table in s.tables.items():
            rows = shown_rows.get(f"{s.name} 0x{pa:x}")
            assert rows is not None, f"{s.name}'s table 0x{pa:x} is not in the tree"
            assert sorted(map(int, rows)) == [i for i, _ in table["entries"]], (s.name, hex(pa))
            for i, e in table["entries"]:
                text = rows[str(i)]
                bits = "[" + " ".join(enc.bits(e, table["level"])) + "]"
                assert f"0x{e:016x}" in text and bits in text, \
                    f"{s.name} table 0x{pa:x} entry {i} (0x{e:016x}, {bits}) shows {text!r}"


def test_click_on_the_band_walks_that_address(shown, page, arch):
    b = shown[0]
    d = page[1][arch]
    leaves = {va: (pa, level) for va, pa, level, *_ in memdump.leaves(d, d.spaces["kernel"])}
    # Zoom to the kernel image's 2 GiB, then click a quarter of the way into the band.
    b.script(f"document.querySelector('#arch-{arch} .buttons button:last-child').click()")
    width = b.script(f"return document.querySelector('#arch-{arch} canvas').clientWidth")
    b.click_at(f"#arch-{arch} canvas", -width // 4, 0)
    text = b.script(f"return document.querySelector('[data-walk={arch}]').textContent")
    m = re.search(r"walk of (0x[0-9a-f]+)", text)
    assert m, text
    va = int(m.group(1), 16)
    # Within 3 pixels: rounding, and the canvas's border.
    aim, pixel = 0xFFFFFFFF80000000 + (1 << 31) // 4, (1 << 31) // width
    assert aim - 3 * pixel <= va <= aim + 3 * pixel, f"clicked 0x{aim:x}, walked 0x{va:x}"
    leaf = next(((lva, pa, level) for lva, (pa, level) in leaves.items()
                 if lva <= va < lva + memdump.level_size(level)), None)
    got = RESULT_RE.search(text)
    if leaf is None:
        assert got is None and "not mapped" in text, text
    else:
        assert got and int(got.group(2), 16) == leaf[1] + va - leaf[0], text


NOT_RAM = ("reserved", "bad RAM")  # mm/memmap.h's mem_type_is_ram


def physical_hover(b, arch, pa=None, dx=0):
    """What the physical band says under the pointer: at pa, zoomed to
    16 KiB around it (less at the map's ends), or dx pixels from its
    centre as it is."""
    band = f"#arch-{arch} canvas[data-band=physical]"
    if pa is not None:
        lo, hi, width = b.script(
            f"const c = document.querySelector('{band}'); c.band.setView({pa - 8192}, {pa + 8192});"
            "return [c.band.view.lo, c.band.view.hi, c.clientWidth];")
        dx = round((pa - lo) * width / (hi - lo)) - width // 2
    b.move_to(band, dx, 0)
    return b.script(f"return document.querySelector('{band}').nextElementSibling.textContent")


def test_physical_band_opens_on_ram(shown, page, arch):
    """Its RAM button (the view it opens with) spans the RAM, not the whole
    map: x86_64's memory map ends with a reserved range at 1 TiB."""
    b = shown[0]
    d = page[1][arch]
    ram = [(x["base"], x["base"] + x["size"]) for x in d.regions["kernel"]
           if x["type"] not in NOT_RAM]
    lo, hi = min(a for a, _ in ram), max(z for _, z in ram)
    b.script(f"document.querySelector('#arch-{arch} [data-band-view=RAM]').click()")
    width = b.script(f"return document.querySelector('#arch-{arch} canvas[data-band=physical]')"
                     ".clientWidth")
    pas = [int(re.match(r"PA (0x[0-9a-f]+)", physical_hover(b, arch, dx=dx)).group(1), 16)
           for dx in (-width // 2 + 2, width // 2 - 2)]
    slack = 4 * (hi - lo) // width
    assert lo <= pas[0] <= lo + slack and hi - slack <= pas[1] <= hi, \
        f"the band spans 0x{pas[0]:x}..0x{pas[1]:x}, the RAM 0x{lo:x}..0x{hi:x}"


def test_physical_band_names_what_is_under_the_pointer(shown, page, arch):
    """Both memory maps' types, holes, free blocks, slabs and page tables."""
    b = shown[0]
    d = page[1][arch]
    space, table = next((s.name, t) for s in d.spaces.values() for t in s.tables.values())
    text = physical_hover(b, arch, table["pa"] + 2048)
    assert f"page table (L{table['level']}) of {space}" in text, text
    slab = d.slabs[0]
    text = physical_hover(b, arch, slab["pa"] + 2048)
    assert f"slab of {slab['object_size']}-byte objects" in text, text
    pa, order, kind = d.free[0]
    text = physical_hover(b, arch, pa + 2048)
    assert f"free block of order {order} at 0x{pa:x} ({kind})" in text, text
    for x in d.regions["firmware"]:
        if x["size"] >= 0x2000:
            text = physical_hover(b, arch, x["base"] + x["size"] // 2)
            assert f"firmware map: {x['type']}" in text, (x, text)
    regions = sorted((x["base"], x["base"] + x["size"])
                     for x in d.regions["kernel"] + d.regions["firmware"])
    end = 0
    for base, top in regions:
        if base - end >= 0x4000:
            break
        end = max(end, top)
    else:
        raise AssertionError(f"no hole in {arch}'s memory maps to point at")
    text = physical_hover(b, arch, (end + base) // 2)
    assert "firmware map: hole; kernel map: hole" in text, (hex(end), hex(base), text)


def test_a_lone_wx_page_shows_red_over_its_neighbours(tmp_path, launching):
    """A writable and executable 4 KiB page between 8 MiB of ordinary pages
    on each side is red on the band zoomed out to the kernel image's 2 GiB,
    where its pixel is shared with its neighbours (and counted)."""
    image = 0xFFFFFFFF80000000
    recs = [{"t": "machine", "arch": "x86_64", "cpu": "test", "page_size": 4096, "levels": 4,
             "va_bits": 48, "phys_offset": "0xffff800000000000", "has_1g_pages": False,
             "wxn": False},
            {"t": "area", "name": "kernel image", "start": hex(image), "size": "0x80000000"},
            {"t": "region", "map": "kernel", "base": "0x0", "size": "0x10000000", "type": "usable"},
            {"t": "space", "name": "kernel", "root": "0x1000", "user": False, "table_pages": 1}]
    for va, size, perms in ((image, 8 << 20, "rw-"), (image + (8 << 20), 4096, "rwx"),
                            (image + (8 << 20) + 4096, (8 << 20) - 4096, "rw-")):
        recs.append({"t": "mapping", "space": "kernel", "va": hex(va), "size": hex(size),
                     "pa": hex(va - image), "page": "4K", "perms": perms, "user": False,
                     "global": True, "memory": "normal"})
    recs.append({"t": "buddy", "span_lo": "0x0", "span_hi": "0x10000000", "max_order": 10,
                 "managed_pages": 65536, "free_pages": 0, "bitmap_bytes": 16384,
                 "bitmap": {"tail": 0, "allocated_head": 65536, "free_head": 0, "unmanaged": 0}})
    lines = [json.dumps(r) for r in recs]
    (d,) = memdump.extract("\n".join(["=== duet memdump 1 begin ===", *lines,
                                      f"=== duet memdump 1 end: {len(lines)} records ==="]))
    path = tmp_path / "wx.html"
    path.write_text(view.page([d], "a lone W+X page"))
    with alone(launching.result(), path) as b:
        assert b.console() == []
        wx = b.script("return document.querySelector('[data-key=\"wx-kernel\"]').textContent")
        assert wx == "1", f"the page counts {wx} W+X mappings"
        pixels = b.script(
            "const c = document.querySelector('#arch-x86_64 canvas');"
            "[...document.querySelectorAll('#arch-x86_64 .buttons button')]"
            "  .find((x) => x.textContent === 'kernel image').click();"
            "const x = Math.floor(c.width * (8 * 2 ** 20) / 2 ** 31);"
            "const px = c.getContext('2d').getImageData(Math.max(0, x - 3), 36, 7, 1).data;"
            "return [x, Array.from(px)];")
    x, rgba = pixels
    colours = [tuple(rgba[i:i + 3]) for i in range(0, len(rgba), 4)]
    assert (0xD0, 0, 0) in colours, f"no red pixel around x={x}: {colours}"


def test_screenshot(shown, arch):
    b = shown[0]
    b.script(f"document.getElementById('arch-{arch}').scrollIntoView()")
    os.makedirs(harness.LOG_DIR, exist_ok=True)
    path = os.path.join(harness.LOG_DIR, f"view-{arch}.png")
    b.screenshot(path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# --- the grader's page: a submission beside the reference solution ---

LAB3_FILES = ("mm/vm.c", "mm/kmap.c", "mm/pmo.c")


def graded_view(tmp_path, name, files):
    """Grade lab 3 on x86_64 with a submission holding `files` copied from
    this tree (none: the bare handout's code); -> OUT/view.html's path."""
    import shutil
    import subprocess
    sub = tmp_path / name
    sub.mkdir()
    for rel in files:
        (sub / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(harness.REPO, rel), sub / rel)
    out = tmp_path / f"grade-{name}"
    # A tree kept for this submission: the handout's and the solution's
    # grades in one tree rebuilt lab 3's files and what reads them each time.
    with shared_tree(3, f"-{name}") as tree:
        p = subprocess.run([sys.executable, "tools/grade.py", "3", "--arch", "x86_64",
                            "--submission", str(sub), "--out", str(out), "--tree", tree],
                           cwd=harness.REPO, env=harness.make_env(), capture_output=True,
                           text=True, timeout=harness.scaled(300))
    view_html = out / "view.html"
    assert view_html.exists(), p.stdout + p.stderr
    assert "your memory beside the reference solution's" in p.stdout, p.stdout
    return view_html


def only_here(launching, path):
    """The page's column labels and its counts of mappings only on each side."""
    with alone(launching.result(), path) as b:
        assert b.console() == []
        labels = b.script("return [...document.querySelectorAll('.column h2')]"
                          ".map((h) => h.textContent)")
        counts = b.script("return document.querySelector('[data-only-here]').dataset.onlyHere")
    return labels, [int(n) for n in counts.split()]


def test_grade_view_of_the_solution_shows_no_difference(tmp_path, launching):
    labels, counts = only_here(launching, graded_view(tmp_path, "solution", LAB3_FILES))
    assert labels == ["x86_64: your kernel", "x86_64: the reference solution"]
    assert counts == [0, 0], "the solution's own files differ from the reference's mappings"


def test_grade_view_of_the_bare_handout_marks_its_mappings(tmp_path, launching):
    """Without lab 3's code the kernel stays on boot.S's tables: the page
    lists mappings on both sides that the other lacks."""
    labels, counts = only_here(launching, graded_view(tmp_path, "handout", ()))
    assert len(labels) == 2 and counts[0] > 0 and counts[1] > 0, counts
