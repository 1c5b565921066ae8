#!/usr/bin/env python3
"""Read Duet's memory dump (docs/memdump.md) out of a console log.

The kernel prints it with the `memdump` monitor command or boot option:
JSON lines between two marker lines. This module takes every dump out of a
log, checks each record against the format, and decodes page-table entries
in each arch's encoding. A log cut short, a line lost or garbled, or a
record that does not fit the format is an error that names the log's line.

    python3 tools/memdump.py build/test-logs/some.log     # a summary
    python3 tools/memdump.py --json LOG                    # the records, checked
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field

VERSION = 2
# Version 1 had no pmo records; its dumps read as well (with none).
VERSIONS = (1, 2)
BEGIN = re.compile(r"=== duet memdump (\d+) begin ===$")
END = re.compile(r"=== duet memdump (\d+) end: (\d+) records ===$")

# What each record holds: field -> type. "hex" is a string of hex digits
# ("0x..."), read as an int; "entries" a list of [index, hex].
SCHEMA = {
    "machine": {"arch": "str", "cpu": "str", "page_size": "int", "levels": "int",
                "va_bits": "int", "phys_offset": "hex", "has_1g_pages": "bool", "wxn": "bool"},
    "area": {"name": "str", "start": "hex", "size": "hex"},
    "region": {"map": "str", "base": "hex", "size": "hex", "type": "str"},
    "pmo": {"va": "hex", "pa": "hex", "size": "hex", "pages_4k": "int", "pages_2m": "int",
            "pages_1g": "int"},
    "space": {"name": "str", "root": "hex", "user": "bool", "table_pages": "int"},
    "mapping": {"space": "str", "va": "hex", "size": "hex", "pa": "hex", "page": "str",
                "perms": "str", "user": "bool", "global": "bool", "memory": "str"},
    "table": {"space": "str", "pa": "hex", "level": "int", "base": "hex", "entries": "entries"},
    "buddy": {"span_lo": "hex", "span_hi": "hex", "max_order": "int", "managed_pages": "int",
              "free_pages": "int", "bitmap_bytes": "int", "bitmap": "states"},
    "free": {"order": "int", "kind": "str", "blocks": "hexlist"},
    "slab": {"pa": "hex", "order": "int", "object_size": "int", "capacity": "int", "free": "int"},
}
ARCHES = ("x86_64", "aarch64")
PAGE_NAMES = {0: "4K", 1: "2M", 2: "1G"}
FREE_KINDS = ("listed", "cached", "lazy")
PERMS = re.compile(r"[r-][w-][x-]$")
MEMORY_TYPES = ("normal", "device")
HEX = re.compile(r"0x[0-9a-f]+$")


class DumpError(ValueError):
    """A dump that cannot be read; the message names the log's line."""

    def __init__(self, line: int, message: str):
        super().__init__(f"memdump: line {line}: {message}")
        self.line = line


@dataclass
class Space:
    name: str
    root: int
    user: bool
    table_pages: int
    mappings: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)  # pa -> table record
    table_lines: dict = field(default_factory=dict)  # pa -> its record's line in the log


@dataclass
class Dump:
    """One dump: its records by kind, checked, with 64-bit values as ints."""
    line: int  # of the begin marker
    machine: dict = field(default_factory=dict)
    areas: list = field(default_factory=list)
    regions: dict = field(default_factory=lambda: {"firmware": [], "kernel": []})
    pmo: list = field(default_factory=list)  # the PMO's runs
    spaces: dict = field(default_factory=dict)
    buddy: dict = field(default_factory=dict)
    free: list = field(default_factory=list)  # (pa, order, kind)
    slabs: list = field(default_factory=list)
    records: list = field(default_factory=list)  # as printed: 64-bit values still hex strings

    @property
    def arch(self) -> str:
        return self.machine["arch"]

    def free_blocks(self, order: int) -> int:
        return sum(1 for _, o, _ in self.free if o == order)


def _value(kind: str, v, what: str):
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{what} is not a whole number")
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"{what} is not true or false")
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise ValueError(f"{what} is not a string")
        return v
    if kind == "hex":
        if not isinstance(v, str) or not HEX.match(v) or len(v) > 18:
            raise ValueError(f"{what} is not a 64-bit hex string")
        return int(v, 16)
    if kind == "hexlist":
        if not isinstance(v, list) or not v:
            raise ValueError(f"{what} is not a list of hex strings")
        return [_value("hex", x, what) for x in v]
    if kind == "states":
        names = ("tail", "allocated_head", "free_head", "unmanaged")
        if not isinstance(v, dict) or set(v) != set(names):
            raise ValueError(f"{what} is not the four page states {names}")
        return {n: _value("int", v[n], f"{what}.{n}") for n in names}
    if kind == "entries":
        if not isinstance(v, list):
            raise ValueError(f"{what} is not a list of entries")
        out = []
        for x in v:
            if not (isinstance(x, list) and len(x) == 2):
                raise ValueError(f"{what} holds {x!r}, not [index, entry]")
            i, e = _value("int", x[0], what), _value("hex", x[1], what)
            if i >= 512 or (out and i <= out[-1][0]):
                raise ValueError(f"{what}: index {i} out of order or past 511")
            out.append((i, e))
        return out
    raise AssertionError(kind)


def parse_record(text: str, line: int) -> dict:
    """One line of a dump as JSON, or DumpError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DumpError(line, f"not a JSON record ({e.msg}): {text[:60]!r}") from None


def check_record(rec, line: int) -> dict:
    """A parsed record with its values read (hex strings as ints), or DumpError."""
    text = json.dumps(rec)
    if not isinstance(rec, dict) or rec.get("t") not in SCHEMA:
        raise DumpError(line, f"not a record of a known kind: {text[:60]!r}")
    kind = rec["t"]
    out = {"t": kind}
    for name, typ in SCHEMA[kind].items():
        if name not in rec:
            raise DumpError(line, f"a {kind} record without {name!r}")
        try:
            out[name] = _value(typ, rec[name], f"{kind}.{name}")
        except ValueError as e:
            raise DumpError(line, str(e)) from None
    extra = set(rec) - set(SCHEMA[kind]) - {"t"}
    if extra:
        raise DumpError(line, f"a {kind} record with unknown fields {sorted(extra)}")
    return out


def _add(d: Dump, rec: dict, line: int) -> None:
    kind = rec["t"]
    if kind != "machine" and not d.machine:
        raise DumpError(line, "a record before the machine record")
    if kind == "machine":
        if d.machine:
            raise DumpError(line, "a second machine record")
        if rec["arch"] not in ARCHES:
            raise DumpError(line, f"unknown arch {rec['arch']!r}")
        d.machine = rec
    elif kind == "area":
        d.areas.append(rec)
    elif kind == "region":
        if rec["map"] not in d.regions:
            raise DumpError(line, f"unknown memory map {rec['map']!r}")
        d.regions[rec["map"]].append(rec)
    elif kind == "pmo":
        d.pmo.append(rec)
    elif kind == "space":
        if rec["name"] in d.spaces:
            raise DumpError(line, f"space {rec['name']!r} twice")
        d.spaces[rec["name"]] = Space(rec["name"], rec["root"], rec["user"], rec["table_pages"])
    elif kind in ("mapping", "table"):
        space = d.spaces.get(rec["space"])
        if space is None:
            raise DumpError(line, f"a {kind} of space {rec['space']!r} before its space record")
        if kind == "mapping":
            if rec["page"] not in PAGE_NAMES.values():
                raise DumpError(line, f"page size {rec['page']!r}")
            if not PERMS.match(rec["perms"]):
                raise DumpError(line, f"perms {rec['perms']!r}, not r or -, w or -, x or -")
            if rec["memory"] not in MEMORY_TYPES:
                raise DumpError(line, f"memory {rec['memory']!r}, not one of {MEMORY_TYPES}")
            space.mappings.append(rec)
        else:
            if rec["pa"] in space.tables:
                raise DumpError(line, f"table 0x{rec['pa']:x} twice")
            if rec["level"] > 3:
                raise DumpError(line, f"a table of level {rec['level']}; "
                                      "levels are 3 (the root) to 0")
            space.tables[rec["pa"]] = rec
            space.table_lines[rec["pa"]] = line
    elif kind == "buddy":
        d.buddy = rec
    elif kind == "free":
        if rec["kind"] not in FREE_KINDS:
            raise DumpError(line, f"free blocks of kind {rec['kind']!r}")
        d.free.extend((pa, rec["order"], rec["kind"]) for pa in rec["blocks"])
    elif kind == "slab":
        d.slabs.append(rec)


def extract(text: str) -> list[Dump]:
    """Every dump in a console log, in order; DumpError for a broken one."""
    dumps, current, count = [], None, 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip("\r")
        m = BEGIN.match(line)
        if m:
            if current is not None:
                raise DumpError(n, f"a new dump begins before the one from line {current.line} ended")
            if int(m.group(1)) not in VERSIONS:
                raise DumpError(n, f"dump version {m.group(1)}; this reader knows "
                                   f"{', '.join(map(str, VERSIONS))}")
            current, count = Dump(n), 0
            continue
        if current is None:
            continue
        m = END.match(line)
        if m:
            if int(m.group(2)) != count:
                raise DumpError(n, f"the dump from line {current.line} ends after {count} records, "
                                   f"its end marker says {m.group(2)}: lines were lost or added")
            if not current.machine or not current.buddy:
                raise DumpError(n, "a dump without its machine or buddy record")
            dumps.append(current)
            current = None
            continue
        raw = parse_record(line, n)
        _add(current, check_record(raw, n), n)
        current.records.append(raw)
        count += 1
    if current is not None:
        raise DumpError(current.line, "the dump that begins here never ends: the log was cut short")
    return dumps


# --- page-table entries, in each arch's encoding (arch/*/include/arch/mmu.h) ---

class X86:
    P, RW, US, PWT, PCD, PS, G, NX = 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 7, 1 << 8, 1 << 63
    ADDR = 0x000FFFFFFFFFF000

    @staticmethod
    def is_valid(e): return bool(e & X86.P)
    @staticmethod
    def is_table(e, level): return bool(e & X86.P) and level > 0 and not e & X86.PS
    @staticmethod
    def address(e): return e & X86.ADDR

    @staticmethod
    def leaf(e, level):
        return ("r" + ("w" if e & X86.RW else "-") + ("-" if e & X86.NX else "x"),
                bool(e & X86.US), bool(e & X86.G), "device" if e & X86.PCD else "normal")

    @staticmethod
    def bits(e, level):
        names = [("P", X86.P), ("RW", X86.RW), ("US", X86.US), ("PWT", X86.PWT),
                 ("PCD", X86.PCD), ("A", 1 << 5), ("D", 1 << 6), ("G", X86.G), ("NX", X86.NX)]
        if level > 0:
            names.insert(7, ("PS", X86.PS))
        return [n for n, b in names if e & b]


class A64:
    VALID, TYPE, AP_EL0, AP_RO, AF, NG = 1, 3, 1 << 6, 1 << 7, 1 << 10, 1 << 11
    PXN, UXN, ATTR = 1 << 53, 1 << 54, 7 << 2
    ADDR = 0x0000FFFFFFFFF000

    @staticmethod
    def is_valid(e): return bool(e & A64.VALID)
    @staticmethod
    def is_table(e, level): return level > 0 and e & A64.TYPE == 3
    @staticmethod
    def address(e): return e & A64.ADDR

    @staticmethod
    def leaf(e, level):
        user = bool(e & A64.AP_EL0)
        x = not (e & A64.UXN) if user else not (e & A64.PXN)
        return ("r" + ("-" if e & A64.AP_RO else "w") + ("x" if x else "-"), user,
                not e & A64.NG, "device" if e & A64.ATTR == 0 else "normal")

    @staticmethod
    def bits(e, level):
        out = ["valid", "table" if A64.is_table(e, level) else ("page" if level == 0 else "block")]
        if A64.is_table(e, level):
            return out + (["APTable=EL1 only"] if e & (1 << 61) else [])
        out.append(f"AttrIndx={(e >> 2) & 7}")
        out += [n for n, b in [("AP[1] EL0", A64.AP_EL0), ("AP[2] RO", A64.AP_RO),
                               ("AF", A64.AF), ("nG", A64.NG), ("PXN", A64.PXN),
                               ("UXN", A64.UXN)] if e & b]
        return out


DECODERS = {"x86_64": X86, "aarch64": A64}


def level_size(level: int) -> int:
    return 1 << (12 + 9 * level)


def canonical(va: int) -> int:
    return va | 0xFFFF000000000000 if va & (1 << 47) else va


def leaves(d: Dump, space: Space):
    """(va, pa, level, perms, user, global, memory) of every leaf, read from
    the space's tables alone; DumpError, naming the line of the table that
    points at it, when a table is missing from the dump."""
    enc = DECODERS[d.arch]

    def walk(pa, level, base):
        table = space.tables[pa]
        for i, e in table["entries"]:
            va = canonical(base + (i << (12 + 9 * level)))
            if not enc.is_valid(e):
                continue
            if enc.is_table(e, level):
                if enc.address(e) not in space.tables:
                    raise DumpError(space.table_lines[pa],
                                    f"space {space.name!r}: entry {i} points at table "
                                    f"0x{enc.address(e):x}, which is not in the dump")
                yield from walk(enc.address(e), level - 1, va)
            else:
                yield (va, enc.address(e), level) + enc.leaf(e, level)

    if space.root not in space.tables:
        raise DumpError(d.line, f"space {space.name!r}: its root table 0x{space.root:x} "
                                "is not in the dump")
    yield from walk(space.root, 3, 0)


def mappings_from_tables(d: Dump, space: Space) -> list[dict]:
    """The space's mappings merged as the kernel merges them (mm/memdump.c),
    for comparing with its mapping records."""
    out = []
    for va, pa, level, perms, user, glob, memory in leaves(d, space):
        last = out[-1] if out else None
        if (last and last["va"] + last["size"] == va and last["pa"] + last["size"] == pa
                and last["page"] == PAGE_NAMES[level]
                and (last["perms"], last["user"], last["global"], last["memory"])
                == (perms, user, glob, memory)):
            last["size"] += level_size(level)
            continue
        out.append({"t": "mapping", "space": space.name, "va": va, "size": level_size(level),
                    "pa": pa, "page": PAGE_NAMES[level], "perms": perms, "user": user,
                    "global": glob, "memory": memory})
    return out


def summary(d: Dump) -> str:
    lines = [f"{d.arch} ({d.machine['cpu']}), dump at line {d.line}"]
    if d.pmo:
        lines.append(f"  pmo: {len(d.pmo)} runs, {sum(x['size'] for x in d.pmo) >> 20} MiB; pages: "
                     + ", ".join(f"{sum(x['pages_' + p] for x in d.pmo)} x {p.upper()}"
                                 for p in ("1g", "2m", "4k")))
    for name, s in d.spaces.items():
        lines.append(f"  space {name}: {len(s.mappings)} mappings, {len(s.tables)} tables")
    b = d.buddy
    lines.append(f"  buddy: {b['free_pages']} of {b['managed_pages']} pages free; per order: "
                 + " ".join(str(d.free_blocks(o)) for o in range(b["max_order"] + 1)))
    lines.append(f"  slabs: {len(d.slabs)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", help="a console log holding one or more dumps")
    ap.add_argument("--json", action="store_true", help="print the checked records as JSON")
    args = ap.parse_args(argv)
    try:
        with open(args.log, encoding="utf-8", errors="replace") as f:
            dumps = extract(f.read())
    except (OSError, DumpError) as e:
        print(e, file=sys.stderr)
        return 1
    if not dumps:
        print(f"memdump: {args.log}: no dump in this log", file=sys.stderr)
        return 1
    for d in dumps:
        print(json.dumps({"machine": d.machine, "buddy": d.buddy}) if args.json else summary(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
