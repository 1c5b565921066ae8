#!/usr/bin/env python3
"""How fast the memory viewer draws a big machine (`make bench-view`).

Builds a dump of a made-up x86_64 machine with 64 GiB of RAM (the PMO in
1 GiB pages, 16,384 free 4 MiB blocks) and a region of 262,144 4 KiB
mappings whose permissions alternate, so that none merges (262,144
mapping records and 512 full tables), writes the page, opens it in
headless Chromium and prints how long the page took: to build its model
and draw everything (the page's own clock), and from navigation to ready
(the browser's). A benchmark that prints numbers, never a test that times.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import browser  # noqa: E402
import memdump  # noqa: E402
import view  # noqa: E402

GIB = 1 << 30
REGION_VA = 0xFFFFC01000000000  # in the MMIO window, 1 GiB-aligned
REGION_PAGES = 262144
PMO = 0xFFFF800000000000


def x86_leaf(pa, level, writable, exec_=False):
    e = pa | 1 | (1 << 8) | (0 if exec_ else 1 << 63)
    if writable:
        e |= 2
    if level:
        e |= 1 << 7
    return e


def big_dump(ram_gib=64):
    recs = [{"t": "machine", "arch": "x86_64", "cpu": "benchmark", "page_size": 4096,
             "levels": 4, "va_bits": 48, "phys_offset": hex(PMO), "has_1g_pages": True,
             "wxn": False}]
    for name, start, size in (("null guard", 0, 0x400000), ("user", 0x400000, (1 << 47) - 0x400000),
                              ("pmo", PMO, 1 << 46), ("mmio", 0xFFFFC00000000000, 0x3FFF80000000),
                              ("kernel image", 0xFFFFFFFF80000000, 0x80000000)):
        recs.append({"t": "area", "name": name, "start": hex(start), "size": hex(size)})
    ram = ram_gib * GIB
    for m in ("firmware", "kernel"):
        recs.append({"t": "region", "map": m, "base": "0x0", "size": hex(ram), "type": "usable"})
    recs.append({"t": "pmo", "va": hex(PMO), "pa": "0x0", "size": hex(ram), "pages_4k": 0,
                 "pages_2m": 0, "pages_1g": ram_gib})
    tables = 4 + REGION_PAGES // 512
    recs.append({"t": "space", "name": "kernel", "root": hex(ram - 4096), "user": False,
                 "table_pages": tables})
    for g in range(ram_gib):
        recs.append({"t": "mapping", "space": "kernel", "va": hex(PMO + g * GIB), "size": hex(GIB),
                     "pa": hex(g * GIB), "page": "1G", "perms": "rw-", "user": False,
                     "global": True, "memory": "normal"})
    for i in range(REGION_PAGES):
        recs.append({"t": "mapping", "space": "kernel", "va": hex(REGION_VA + i * 4096),
                     "size": "0x1000", "pa": hex(GIB + i * 8192), "page": "4K",
                     "perms": "rw-" if i % 2 else "r--", "user": False, "global": True,
                     "memory": "normal"})
    # Tables: root -> (PMO's L2, the region's L2) -> the region's L1 -> 512 L0 tables.
    root, pmo_l2, reg_l2, reg_l1 = (ram - 4096 * k for k in (1, 2, 3, 4))
    l0 = [ram - 4096 * (5 + k) for k in range(REGION_PAGES // 512)]
    recs.append({"t": "table", "space": "kernel", "pa": hex(root), "level": 3, "base": "0x0",
                 "entries": [[256, hex(pmo_l2 | 3)], [384, hex(reg_l2 | 3)]]})
    recs.append({"t": "table", "space": "kernel", "pa": hex(pmo_l2), "level": 2, "base": hex(PMO),
                 "entries": [[g, hex(x86_leaf(g * GIB, 2, True))] for g in range(ram_gib)]})
    recs.append({"t": "table", "space": "kernel", "pa": hex(reg_l2), "level": 2,
                 "base": hex(0xFFFFC00000000000), "entries": [[64, hex(reg_l1 | 3)]]})
    recs.append({"t": "table", "space": "kernel", "pa": hex(reg_l1), "level": 1,
                 "base": hex(REGION_VA), "entries": [[k, hex(l0[k] | 3)] for k in range(512)]})
    for k, t in enumerate(l0):
        recs.append({"t": "table", "space": "kernel", "pa": hex(t), "level": 0,
                     "base": hex(REGION_VA + k * 512 * 4096),
                     "entries": [[i, hex(x86_leaf(GIB + (k * 512 + i) * 8192, 0, i % 2 == 1))]
                                 for i in range(512)]})
    blocks = [hex(2 * GIB + k * (4 << 20)) for k in range((ram - 2 * GIB) // (4 << 20))]
    recs.append({"t": "buddy", "span_lo": "0x0", "span_hi": hex(ram), "max_order": 10,
                 "managed_pages": ram // 4096, "free_pages": len(blocks) * 1024,
                 "bitmap_bytes": ram // 4096 // 4,
                 "bitmap": {"tail": ram // 4096 - len(blocks), "allocated_head": 0,
                            "free_head": 0, "unmanaged": len(blocks)}})
    for k in range(0, len(blocks), 64):
        recs.append({"t": "free", "order": 10, "kind": "lazy", "blocks": blocks[k:k + 64]})
    lines = [json.dumps(r, separators=(",", ":")) for r in recs]
    text = "\n".join(["=== duet memdump 2 begin ===", *lines,
                      f"=== duet memdump 2 end: {len(lines)} records ==="])
    return memdump.extract(text)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    missing = browser.available()
    if missing:
        sys.exit(f"bench-view: {missing}")
    d = big_dump()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "index.html")
        with open(path, "w") as f:
            f.write(view.page([d], "bench_view.py: 64 GiB, 262,144 4 KiB mappings"))
        size = os.path.getsize(path)
        model, wall, parts = [], [], []
        with browser.Browser() as b:
            for _ in range(args.runs):
                t = time.monotonic()
                b.open("file://" + path)
                b.wait_for("return document.body.dataset.ready", timeout=120)
                wall.append((time.monotonic() - t) * 1000)
                model.append(b.script("return window.duetView.renderMs"))
                parts.append(b.script("const v = window.duetView; return [v.parseMs, v.modelMs, v.drawMs]"))
    print(f"bench-view: page {size / 1e6:.1f} MB, {len(d.records)} records, "
          f"{len(d.spaces['kernel'].mappings)} mappings, {len(d.spaces['kernel'].tables)} tables")
    print(f"  model and first drawing (page's clock): median {statistics.median(model):.0f} ms "
          f"(min {min(model):.0f}, max {max(model):.0f})")
    print("  of which JSON.parse, model, drawing: " + ", ".join(
        f"{statistics.median(p[i] for p in parts):.0f} ms" for i in range(3)))
    print(f"  navigation to ready (incl. parsing the page): median {statistics.median(wall):.0f} ms "
          f"(min {min(wall):.0f}, max {max(wall):.0f})")


if __name__ == "__main__":
    main()
