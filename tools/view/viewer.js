/*
 * The memory viewer (docs/memdump.md, "The viewer"). tools/view.py inlines
 * this file into one HTML page with the dumps as JSON; nothing is fetched.
 * 64-bit values stay strings in the data and become BigInt here: a
 * JavaScript number holds 53 bits.
 */
"use strict";

const PAGE_NAMES = ["4K", "2M", "1G"];
const LEVEL_NAMES = ["L0 (4K)", "L1 (2M)", "L2 (1G)", "L3 (root)"];
const P48 = 1n << 48n;
const HIGH_HALF = 0xffff000000000000n;

const hex = (v) => "0x" + v.toString(16);
const levelShift = (level) => 12n + 9n * BigInt(level);
const levelSize = (level) => 1n << levelShift(level);
const canonical = (va) => (va & (1n << 47n) ? va | HIGH_HALF : va);
/* A 48-bit position for the band: the upper half follows the lower. */
const pos48 = (va) => va & (P48 - 1n);

function sizeText(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let u = 0;
  let b = bytes;
  while (b >= 1024n && b % 1024n === 0n && u < units.length - 1) { b /= 1024n; u++; }
  return b.toString() + " " + units[u];
}

/* --- entries, in each arch's encoding (arch/<arch>/include/arch/mmu.h) --- */

const bit = (n) => 1n << BigInt(n);
const ENCODINGS = {
  x86_64: {
    isValid: (e) => (e & 1n) !== 0n,
    isTable: (e, level) => (e & 1n) !== 0n && level > 0 && (e & bit(7)) === 0n,
    address: (e) => e & 0x000ffffffffff000n,
    leaf(e) {
      return {
        perms: "r" + (e & bit(1) ? "w" : "-") + (e & bit(63) ? "-" : "x"),
        user: (e & bit(2)) !== 0n, global: (e & bit(8)) !== 0n,
        memory: e & bit(4) ? "device" : "normal",
      };
    },
    bits(e, level) {
      const names = [["P", 0], ["RW", 1], ["US", 2], ["PWT", 3], ["PCD", 4], ["A", 5], ["D", 6]];
      if (level > 0) names.push(["PS", 7]);
      names.push(["G", 8], ["NX", 63]);
      return names.filter(([, b]) => e & bit(b)).map(([n]) => n);
    },
  },
  aarch64: {
    isValid: (e) => (e & 1n) !== 0n,
    isTable: (e, level) => level > 0 && (e & 3n) === 3n,
    address: (e) => e & 0x0000fffffffff000n,
    leaf(e) {
      const user = (e & bit(6)) !== 0n;
      const x = user ? !(e & bit(54)) : !(e & bit(53));
      return {
        perms: "r" + (e & bit(7) ? "-" : "w") + (x ? "x" : "-"),
        user, global: (e & bit(11)) === 0n,
        memory: (e & (7n << 2n)) === 0n ? "device" : "normal",
      };
    },
    bits(e, level) {
      if (this.isTable(e, level))
        return ["valid", "table"].concat(e & bit(61) ? ["APTable=EL1 only"] : []);
      const out = ["valid", level === 0 ? "page" : "block", "AttrIndx=" + ((e >> 2n) & 7n)];
      for (const [n, b] of [["AP[1] EL0", 6], ["AP[2] RO", 7], ["AF", 10], ["nG", 11],
                            ["PXN", 53], ["UXN", 54]])
        if (e & bit(b)) out.push(n);
      return out;
    },
  },
};

/* A mapping: positions as Numbers for the band (48 bits are exact in a
 * double), 64-bit values as BigInt when asked for. */
class Mapping {
  constructor(p, len, pa, page, perms, flags) {
    Object.assign(this, { p, len, paNum: pa, page, perms, user: (flags & 1) !== 0,
                          global: (flags & 2) !== 0, memory: flags & 4 ? "device" : "normal" });
  }

  get va() { return canonical(BigInt(this.p)); }
  get size() { return BigInt(this.len); }
  get pa() { return BigInt(this.paNum); }
}

/* --- the model of one dump ------------------------------------------------------ */

class Dump {
  /* records: the dump's records but its mappings, which come as arrays of
   * numbers (tools/view.py's compact()): [space index, low 48 bits of the
   * VA, size, PA, page, perms, user + 2 * global + 4 * device]. */
  constructor(data) {
    this.areas = [];
    this.regions = { firmware: [], kernel: [] };
    this.pmo = [];
    this.spaces = {};
    this.free = [];
    this.slabs = [];
    for (const r of data.records) this.add(r);
    for (const [si, p, len, pa, page, perms, flags] of data.mappings)
      this.spaces[data.spaces[si]].mappings.push(new Mapping(p, len, pa, page, perms, flags));
    this.enc = ENCODINGS[this.machine.arch];
    this.arch = this.machine.arch;
    this.label = data.label || this.arch;
    this.id = data.id || "arch-" + this.arch;
  }

  add(r) {
    const H = (v) => BigInt(v);
    switch (r.t) {
      case "machine": this.machine = r; break;
      case "area": this.areas.push({ name: r.name, start: H(r.start), size: H(r.size) }); break;
      case "region":
        this.regions[r.map].push({ base: H(r.base), size: H(r.size), type: r.type });
        break;
      case "pmo":
        this.pmo.push({ va: H(r.va), pa: H(r.pa), size: H(r.size),
                        pages: { "4K": r.pages_4k, "2M": r.pages_2m, "1G": r.pages_1g } });
        break;
      case "space":
        this.spaces[r.name] = { name: r.name, root: H(r.root), user: r.user,
                                tablePages: r.table_pages, mappings: [], tables: new Map() };
        break;
      case "table":
        /* Entries stay strings until a walk or the tree reads them (entryList). */
        this.spaces[r.space].tables.set(H(r.pa), { pa: H(r.pa), level: r.level, base: H(r.base),
          raw: r.entries, parsed: null });
        break;
      case "buddy": this.buddy = r; break;
      case "free":
        for (const b of r.blocks) {
          const pa = H(b);
          this.free.push({ pa, order: r.order, kind: r.kind, p: Number(pa),
                           len: 4096 * 2 ** r.order });
        }
        break;
      case "slab": this.slabs.push({ pa: H(r.pa), order: r.order, objectSize: r.object_size,
                                     capacity: r.capacity, free: r.free }); break;
    }
  }

  /* A table's valid entries as [index, BigInt entry]. */
  static entries(table) {
    if (!table.parsed) table.parsed = table.raw.map(([i, e]) => [i, BigInt(e)]);
    return table.parsed;
  }

  get userSpace() {
    return Object.values(this.spaces).find((s) => s.user) || null;
  }

  /* The space whose tables translate va: a user space for the lower half. */
  spaceFor(va) {
    return va < (1n << 47n) ? this.userSpace : this.spaces.kernel;
  }

  /* The walk for va, root first, as the monitor's `translate` prints it. */
  walk(va) {
    const space = this.spaceFor(va);
    const steps = [];
    if (!space) return { steps, error: "no user address space in this dump" };
    let table = space.tables.get(space.root);
    for (let level = 3; level >= 0; level--) {
      if (!table) return { steps, error: "a table the walk needs is not in the dump" };
      const index = Number((va >> levelShift(level)) & 511n);
      const found = Dump.entries(table).find(([i]) => i === index);
      const e = found ? found[1] : 0n;
      const step = { level, index, entry: e, tablePa: table.pa };
      steps.push(step);
      if (!this.enc.isValid(e)) { step.kind = "invalid"; return { steps, space }; }
      if (this.enc.isTable(e, level)) {
        step.kind = "table";
        step.next = this.enc.address(e);
        table = space.tables.get(step.next);
        continue;
      }
      step.kind = "leaf";
      step.leaf = this.enc.leaf(e, level);
      const size = levelSize(level);
      return { steps, space, pa: this.enc.address(e) + (va & (size - 1n)), level };
    }
    return { steps, space, error: "the walk did not end at level 0" };
  }

  /* The mapping holding va: mappings are in address order, so a binary search. */
  mappingAt(va) {
    const space = this.spaceFor(va);
    if (!space) return null;
    const ms = space.mappings;
    const p = Number(pos48(va));
    let lo = 0;
    let hi = ms.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ms[mid].p + ms[mid].len <= p) lo = mid + 1;
      else hi = mid;
    }
    return lo < ms.length && ms[lo].p <= p ? ms[lo] : null;
  }

  /* The end of the last range either memory map describes. */
  mapEnd() {
    let end = 0n;
    for (const r of this.regions.firmware.concat(this.regions.kernel))
      if (r.base + r.size > end) end = r.base + r.size;
    return end;
  }

  /* The lowest to the highest byte of RAM: the kernel map's ranges but
   * reserved and bad ones (mm/memmap.h's mem_type_is_ram); the whole map
   * when it has none. */
  ramSpan() {
    const ram = this.regions.kernel.filter((r) => r.type !== "reserved" && r.type !== "bad RAM");
    if (!ram.length) return { lo: 0n, hi: this.mapEnd() || 4096n };
    let lo = ram[0].base;
    let hi = 0n;
    for (const r of ram) {
      if (r.base < lo) lo = r.base;
      if (r.base + r.size > hi) hi = r.base + r.size;
    }
    return { lo, hi };
  }

  freeBlocks(order) {
    return this.free.filter((b) => b.order === order).length;
  }

  /* Bytes mapped with each page size, in a space. */
  pageSizes(space) {
    const out = { "4K": 0, "2M": 0, "1G": 0 };
    for (const m of space.mappings) out[m.page] += m.len;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, BigInt(v)]));
  }
}

/* --- drawing helpers ------------------------------------------------------------ */

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const WX_COLOR = "#d00000";
const PERM_COLORS = { "r--": "#4a78c2", "rw-": "#3f9e4d", "r-x": "#e08a1e", "rwx": WX_COLOR,
                      "---": "#999" };
/* mm/memmap.c's type names. */
const TYPE_COLORS = { "usable": "#cfe8cf", "reserved": "#999", "kernel": "#e08a1e",
  "firmware info": "#8a6bbf", "ACPI reclaimable": "#b99", "ACPI NVS": "#a77",
  "bad RAM": "#000", "boot module": "#7bb", "early alloc": "#c9a", "boot tables": "#c6c" };
const AREA_COLORS = { "null guard": "#eee", "user": "#eef4ff", "pmo": "#f1fff0",
                      "mmio": "#f7efff", "kernel image": "#fff6e8" };

/*
 * A band over a range of positions (Numbers: addresses of up to 52 bits
 * are exact in a double), zoomed with the wheel, panned by dragging, told
 * where a click or a hover lands. draw(rect) paints it with
 * rect(from, to, y, height, colour).
 */
class Band {
  /* opts: height (pixels), view (the range it opens on), name (the
   * canvas's data-band). */
  constructor(parent, full, draw, onPoint, opts = {}) {
    this.full = full;
    this.view = opts.view || { lo: full.lo, hi: full.hi };
    this.draw = draw;
    const height = opts.height || 64;
    this.canvas = el("canvas", { width: 800, height, style: `height:${height}px`,
                                 "data-band": opts.name || "" });
    this.canvas.band = this;
    this.hover = el("div", { class: "hover" });
    parent.append(this.canvas, this.hover);
    let drag = null;
    this.canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      this.zoom(this.at(ev.offsetX), ev.deltaY < 0 ? 0.5 : 2);
    }, { passive: false });
    this.canvas.addEventListener("mousedown", (ev) => { drag = { x: ev.offsetX, moved: false }; });
    this.canvas.addEventListener("mousemove", (ev) => {
      if (drag && Math.abs(ev.offsetX - drag.x) > 2) {
        const d = ((this.view.hi - this.view.lo) * (drag.x - ev.offsetX)) / this.width();
        this.setView(this.view.lo + d, this.view.hi + d);
        drag.x = ev.offsetX;
        drag.moved = true;
      }
      this.hover.textContent = onPoint(this.at(ev.offsetX), false);
    });
    this.canvas.addEventListener("mouseup", (ev) => {
      if (drag && !drag.moved) onPoint(this.at(ev.offsetX), true);
      drag = null;
    });
    this.drawnWidth = 0;
    new ResizeObserver(() => { if (this.width() !== this.drawnWidth) this.render(); })
      .observe(this.canvas);
  }

  width() { return Math.max(1, this.canvas.clientWidth || 800); }

  at(x) {
    return Math.floor(this.view.lo + ((this.view.hi - this.view.lo) * Math.max(0, x)) /
                      this.width());
  }

  setView(lo, hi) {
    if (lo < this.full.lo) { hi += this.full.lo - lo; lo = this.full.lo; }
    if (hi > this.full.hi) { lo -= hi - this.full.hi; hi = this.full.hi; }
    if (lo < this.full.lo) lo = this.full.lo;
    if (hi - lo < 4096) hi = lo + 4096;
    this.view = { lo, hi };
    this.render();
  }

  zoom(center, factor) {
    const span = (this.view.hi - this.view.lo) * factor;
    const lo = center - ((center - this.view.lo) * span) / (this.view.hi - this.view.lo);
    this.setView(lo, lo + span);
  }

  render() {
    const w = this.width();
    this.drawnWidth = w;
    this.canvas.width = w;
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, w, this.canvas.height);
    const { lo, hi } = this.view;
    const scale = w / (hi - lo);
    /* Ranges in the same row and colour that fall on the same pixels are
     * drawn once: a quarter of a million 4 KiB pages cost a few hundred
     * rectangles when zoomed out. */
    let pend = null;
    const flush = () => {
      if (pend) ctx.fillRect(pend.x0, pend.y, Math.max(1, pend.x1 - pend.x0), pend.h);
      pend = null;
    };
    /* minWidth > 1: whole pixels, at least that many, for what must show
     * however small (W+X). */
    const rect = (a, b, y, h, color, minWidth = 1) => {
      if (b <= lo || a >= hi) return;
      let x0 = Math.max(0, (a - lo) * scale);
      let x1 = Math.min(w, (b - lo) * scale);
      if (minWidth > 1) {
        x0 = Math.min(Math.floor(x0), w - minWidth);
        x1 = Math.max(Math.ceil(x1), x0 + minWidth);
      }
      if (pend && pend.y === y && pend.color === color && x0 <= pend.x1 + 1) {
        pend.x1 = Math.max(pend.x1, x1);
        return;
      }
      flush();
      ctx.fillStyle = color;
      pend = { x0, x1, y, h, color };
    };
    this.draw(rect);
    flush();
  }
}

/* --- one column: a dump ------------------------------------------------------------ */

/* The PMO's leaves by size, as the `pmo` command counts them. */
function pmoPages(d) {
  if (!d.pmo.length) return "no pmo records (a version 1 dump)";
  return ["1G", "2M", "4K"].map((p) => `${d.pmo.reduce((n, r) => n + r.pages[p], 0)} x ${p}`)
    .join(", ");
}

function statsTable(d) {
  const t = el("table", { class: "stats" });
  const row = (k, v, key) => t.append(el("tr", {}, el("th", {}, k),
                                         el("td", { "data-key": key, class: "mono" }, v)));
  row("CPU", d.machine.cpu, "cpu");
  row("1 GiB pages", d.machine.has_1g_pages ? "yes" : "no", "has_1g_pages");
  row("WXN", d.machine.wxn ? "yes" : "no", "wxn");
  row("PMO runs", d.pmo.length, "pmo-runs");
  row("PMO pages", pmoPages(d), "pmo-pages");
  for (const s of Object.values(d.spaces)) {
    row(`${s.name}: mappings`, s.mappings.length, `mappings-${s.name}`);
    const sizes = d.pageSizes(s);
    for (const p of PAGE_NAMES)
      row(`${s.name}: mapped with ${p} pages`, sizeText(sizes[p]), `bytes-${s.name}-${p}`);
    row(`${s.name}: table pages`, s.tables.size, `tables-${s.name}`);
    const wx = s.mappings.filter((m) => m.perms === "rwx").length;
    row(`${s.name}: writable and executable`, wx, `wx-${s.name}`);
  }
  return t;
}

function freeTable(d) {
  const t = el("table", { class: "free" });
  t.append(el("tr", {}, el("th", {}, "order"), el("th", {}, "block"), el("th", {}, "free blocks"),
              el("th", {}, "pages")));
  for (let o = 0; o <= d.buddy.max_order; o++) {
    const n = d.freeBlocks(o);
    t.append(el("tr", {}, el("td", {}, o), el("td", {}, sizeText(4096n << BigInt(o))),
                el("td", { "data-order": o, class: "mono" }, n),
                el("td", { class: "mono" }, n * 2 ** o)));
  }
  t.append(el("tr", {}, el("th", { colspan: 3 }, "free pages"),
              el("td", { "data-key": "free_pages", class: "mono" }, d.buddy.free_pages)));
  t.append(el("tr", {}, el("th", { colspan: 3 }, "managed pages"),
              el("td", { class: "mono" }, d.buddy.managed_pages)));
  for (const [state, n] of Object.entries(d.buddy.bitmap))
    t.append(el("tr", {}, el("th", { colspan: 3 }, `bitmap: ${state.replace("_", " ")} pages`),
                el("td", { class: "mono" }, n)));
  t.append(el("tr", {}, el("th", { colspan: 3 }, "slabs"),
              el("td", { "data-key": "slabs", class: "mono" }, d.slabs.length)));
  return t;
}

function legend(colors) {
  return el("div", { class: "legend" }, ...Object.entries(colors).map(([k, c]) =>
    el("span", {}, el("i", { style: `background:${c}` }), k)));
}

const LEAF_SIZES = ["4 KiB", "2 MiB", "1 GiB"];

/* The walk of va as the monitor's `translate` prints it (mm/ptdump.c),
 * line for line, each entry's bits named under it in the arch's encoding. */
function walkText(d, va) {
  const r = d.walk(va);
  const lines = [`walk of ${hex(va)} in ${r.space ? r.space.name : "?"}'s tables:`];
  for (const s of r.steps) {
    let text = `  ${LEVEL_NAMES[s.level].padEnd(9)} index ${String(s.index).padStart(3)}  ` +
               `entry 0x${s.entry.toString(16).padStart(16, "0")}  `;
    if (s.kind === "invalid") text += `not present: ${hex(va)} is not mapped`;
    else if (s.kind === "table") text += `table at PA ${hex(s.next)}`;
    else text += `${LEAF_SIZES[s.level]} page at PA ${hex(d.enc.address(s.entry))}: ` +
                 (s.leaf.perms[1] === "w" ? "rw" : "ro") +
                 (s.leaf.perms[2] === "x" ? " exec" : " nx") +
                 (s.leaf.user ? " user" : " kernel") + (s.leaf.global ? " global" : "") +
                 (s.leaf.memory === "device" ? " device" : "");
    lines.push(text);
    if (s.kind !== "invalid")
      lines.push(`${" ".repeat(12)}bits: ${d.enc.bits(s.entry, s.level).join(" ")}`);
  }
  if (r.pa !== undefined) lines.push(`  ${hex(va)} -> PA ${hex(r.pa)}`);
  if (r.error) lines.push("  " + r.error);
  return lines.join("\n");
}

const entryHex = (e) => "0x" + e.toString(16).padStart(16, "0");

/* The page-table tree: each table's entries rendered when it is opened,
 * every one (a table's too) with its raw value and its bits named. `from`
 * is the entry that points at this table, [index, entry, its VA], or null
 * for a root. */
function tableDetails(d, space, pa, level, base, from) {
  const t = space.tables.get(pa);
  const det = el("details", { "data-table": hex(pa), "data-space": space.name });
  const n = t ? t.raw.length : 0;
  const what = `${LEVEL_NAMES[level]} table at PA ${hex(pa)}: ` +
               `${n} valid entr${n === 1 ? "y" : "ies"}`;
  if (from) {
    const [i, e, va] = from;
    det.dataset.index = i;
    det.append(el("summary", {}, `[${String(i).padStart(3)}] ${hex(va)}  ${entryHex(e)}  -> ` +
                  `${what}  [${d.enc.bits(e, level + 1).join(" ")}]`));
  } else {
    det.append(el("summary", {}, `${what}, maps from ${hex(canonical(base))}`));
  }
  det.addEventListener("toggle", () => {
    if (!det.open || det.dataset.filled) return;
    det.dataset.filled = "1";
    if (!t) { det.append(el("div", { class: "entry error" }, "not in the dump")); return; }
    for (const [i, e] of Dump.entries(t)) {
      const va = canonical(base + (BigInt(i) << levelShift(level)));
      if (d.enc.isTable(e, level)) {
        det.append(tableDetails(d, space, d.enc.address(e), level - 1, va, [i, e, va]));
        continue;
      }
      const leaf = d.enc.leaf(e, level);
      det.append(el("div", { class: "entry", "data-index": i },
        `[${String(i).padStart(3)}] ${hex(va)}  ${entryHex(e)}  ${PAGE_NAMES[level]} ` +
        `-> PA ${hex(d.enc.address(e))} ${leaf.perms} ${leaf.user ? "user" : "kernel"}` +
        `${leaf.global ? " global" : ""} ${leaf.memory}  [${d.enc.bits(e, level).join(" ")}]`,
        ...(leaf.perms === "rwx" ? [" ", el("span", { class: "wx" }, "W+X")] : [])));
    }
  });
  return det;
}

function column(d) {
  const col = el("div", { class: "column", id: d.id, "data-arch": d.arch });
  col.append(el("h2", {}, d.label));

  /* The virtual address space: 48 bits, the upper half after the lower. */
  col.append(el("h3", {}, "Virtual address space (48 bits; wheel zooms, drag pans, click walks)"));
  const zoomButtons = el("div", { class: "buttons" });
  col.append(zoomButtons);
  const walkOut = el("div", { class: "walk", "data-walk": d.arch });
  const spaces = Object.values(d.spaces);
  const areaAt = (a) => Number(pos48(a.start));
  const vband = new Band(col, { lo: 0, hi: 2 ** 48 }, (rect) => {
    for (const a of d.areas) rect(areaAt(a), areaAt(a) + Number(a.size), 0, 64,
                                  AREA_COLORS[a.name] || "#f4f4f4");
    /* W+X last and at least 2 pixels wide, so no neighbour hides it. */
    for (const s of spaces)
      for (const m of s.mappings)
        if (m.perms !== "rwx") rect(m.p, m.p + m.len, 16, 40, PERM_COLORS[m.perms] || "#999");
    for (const s of spaces)
      for (const m of s.mappings)
        if (m.perms === "rwx") rect(m.p, m.p + m.len, 16, 40, WX_COLOR, 2);
  }, (p, click) => {
    const va = canonical(BigInt(p));
    if (click) { walkOut.textContent = walkText(d, va); input.value = hex(va); return ""; }
    const m = d.mappingAt(va);
    return `${hex(va)}  ` + (m ? `${m.page} ${m.perms}${m.user ? " user" : ""} ` +
           `${m.memory}: ${hex(m.va)} +${sizeText(m.size)} -> PA ${hex(m.pa)}` : "not mapped");
  }, { name: "virtual" });
  zoomButtons.append(el("button", { onclick: () => vband.setView(0, 2 ** 48) }, "all"));
  for (const a of d.areas)
    zoomButtons.append(el("button", {
      onclick: () => vband.setView(areaAt(a), areaAt(a) + Number(a.size)) }, a.name));
  col.append(legend(PERM_COLORS));

  /* The walk of any address. */
  const input = el("input", { size: 22, placeholder: "0xffff800000000000", "data-input": d.arch });
  const go = () => {
    try { walkOut.textContent = walkText(d, BigInt(input.value.trim())); }
    catch (e) { walkOut.textContent = `not an address: ${input.value}`; }
  };
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
  col.append(el("h3", {}, "Walk an address"), input,
             el("button", { onclick: go, "data-go": d.arch }, "walk"), walkOut);

  col.append(el("h3", {}, "Numbers"), statsTable(d));

  /* The tables, level by level. */
  col.append(el("h3", {}, "Page tables"));
  for (const s of spaces) {
    col.append(el("div", {}, `${s.name}: root at PA ${hex(s.root)}, ${s.tables.size} table pages`));
    col.append(tableDetails(d, s, s.root, 3, 0n));
  }

  /* Physical memory: a row for each map, then what the allocators hold. */
  col.append(el("h3", {}, "Physical memory (wheel zooms, drag pans)"));
  const physButtons = el("div", { class: "buttons" });
  col.append(physButtons);
  const tables = spaces.flatMap((s) => [...s.tables.values()].map((t) => ({ t, space: s.name })));
  const ram = d.ramSpan();
  const pband = new Band(col, { lo: 0, hi: Math.max(4096, Number(d.mapEnd())) }, (rect) => {
    for (const [map, y, h] of [["firmware", 0, 12], ["kernel", 14, 20]])
      for (const r of d.regions[map]) rect(Number(r.base), Number(r.base + r.size), y, h,
                                           TYPE_COLORS[r.type] || "#ccc");
    for (const b of d.free) {
      const shade = 200 - Math.round((b.order / d.buddy.max_order) * 150);
      rect(b.p, b.p + b.len, 36, 18, `rgb(${shade},${shade + 40},${shade})`);
    }
    for (const s of d.slabs) rect(Number(s.pa), Number(s.pa) + 4096 * 2 ** s.order, 56, 12,
                                  "#e6c200");
    for (const { t } of tables) rect(Number(t.pa), Number(t.pa) + 4096, 70, 12, "#c000c0");
  }, (p) => {
    const pa = BigInt(p);
    const within = (lo, size) => pa >= lo && pa < lo + size;
    const parts = [`PA ${hex(pa)}`];
    for (const map of ["firmware", "kernel"]) {
      const r = d.regions[map].find((x) => within(x.base, x.size));
      parts.push(`${map} map: ${r ? r.type : "hole"}`);
    }
    const b = d.free.find((x) => within(x.pa, 4096n << BigInt(x.order)));
    if (b) parts.push(`free block of order ${b.order} at ${hex(b.pa)} (${b.kind})`);
    const s = d.slabs.find((x) => within(x.pa, 4096n << BigInt(x.order)));
    if (s) parts.push(`slab of ${s.objectSize}-byte objects at ${hex(s.pa)} ` +
                      `(${s.free} of ${s.capacity} free)`);
    const t = tables.find((x) => within(x.t.pa, 4096n));
    if (t) parts.push(`page table (L${t.t.level}) of ${t.space}`);
    return parts.join("; ");
  }, { height: 82, view: { lo: Number(ram.lo), hi: Number(ram.hi) }, name: "physical" });
  physButtons.append(
    el("button", { onclick: () => pband.setView(0, pband.full.hi), "data-band-view": "all" },
       "all"),
    el("button", { onclick: () => pband.setView(Number(ram.lo), Number(ram.hi)),
                   "data-band-view": "RAM" }, "RAM"));
  col.append(el("div", { class: "rows" }, "rows: the firmware's memory map; the kernel's " +
                "(normalised, its own reservations added); free blocks (darker: higher order); " +
                "slabs; page tables. A gap in a map is a hole."));
  col.append(legend(Object.assign({}, TYPE_COLORS, { "free block": "rgb(125,165,125)",
                                                      "slab": "#e6c200", "table": "#c000c0" })));
  col.append(freeTable(d));
  col.bands = [vband, pband];
  return col;
}

/* --- the differences between two dumps ---------------------------------------------------- */

/* Mappings of one dump that the other lacks, as lines of text. */
function mappingsOnlyIn(a, b) {
  const key = (s, m) => `${s.name} ${hex(m.va)} +${sizeText(m.size)} -> ${hex(m.pa)} ${m.page} ` +
                        `${m.perms}${m.user ? " user" : ""}${m.global ? " global" : ""} ${m.memory}`;
  const theirs = new Set();
  for (const s of Object.values(b.spaces)) for (const m of s.mappings) theirs.add(key(s, m));
  const out = [];
  for (const s of Object.values(a.spaces))
    for (const m of s.mappings) if (!theirs.has(key(s, m))) out.push(key(s, m));
  return out;
}

function differences(a, b) {
  const t = el("table", { class: "diff", "data-diff": `${a.id} ${b.id}` });
  t.append(el("tr", {}, el("th", {}, ""), el("th", {}, a.label), el("th", {}, b.label)));
  const row = (k, x, y) => {
    const same = String(x) === String(y);
    t.append(el("tr", {}, el("th", {}, k), el("td", { class: same ? "" : "differs" }, x),
                el("td", { class: same ? "" : "differs" }, y)));
  };
  const layout = (d) => d.areas.map((x) => `${x.name} ${hex(x.start)}+${sizeText(x.size)}`)
                               .join("; ");
  row("virtual layout", layout(a) === layout(b) ? "the same" : layout(a),
      layout(a) === layout(b) ? "the same" : layout(b));
  row("1 GiB pages", a.machine.has_1g_pages, b.machine.has_1g_pages);
  row("WXN", a.machine.wxn, b.machine.wxn);
  row("PMO pages", pmoPages(a), pmoPages(b));
  for (const p of PAGE_NAMES)
    row(`kernel mapped with ${p} pages`, sizeText(a.pageSizes(a.spaces.kernel)[p]),
        sizeText(b.pageSizes(b.spaces.kernel)[p]));
  row("kernel table pages", a.spaces.kernel.tables.size, b.spaces.kernel.tables.size);
  /* The same mapping, two encodings: the kernel's first executable page. */
  const text = (d) => {
    const m = d.spaces.kernel.mappings.find((x) => x.perms === "r-x");
    if (!m) return "none";
    const w = d.walk(m.va);
    const leaf = w.steps[w.steps.length - 1];
    return `${hex(m.va)}: entry ${hex(leaf.entry)} [${d.enc.bits(leaf.entry, leaf.level).join(" ")}]`;
  };
  row("kernel text, its leaf entry", text(a), text(b));
  row("free pages", a.buddy.free_pages, b.buddy.free_pages);
  if (a.arch === b.arch) {
    /* Two kernels of one arch (a submission and the reference): which
     * mappings differ, a line each, the first 50. */
    const list = (lines) => el("td", { class: lines.length ? "differs mono" : "mono" },
      lines.length ? `${lines.length}:\n` + lines.slice(0, 50).join("\n") +
                     (lines.length > 50 ? "\n..." : "") : "none");
    const onlyA = mappingsOnlyIn(a, b);
    const onlyB = mappingsOnlyIn(b, a);
    t.append(el("tr", {}, el("th", {}, "mappings only here"), list(onlyA), list(onlyB)));
    t.lastChild.dataset.onlyHere = `${onlyA.length} ${onlyB.length}`;
  }
  return t;
}

function main() {
  const started = performance.now();
  const data = JSON.parse(document.getElementById("duet-data").textContent);
  const parsed = performance.now();
  const root = document.getElementById("duet-view");
  const dumps = data.dumps.map((x) => new Dump(x));
  const modelled = performance.now();
  root.append(el("div", { class: "source" }, data.source));
  /* Pairs to compare: both arches by default; a submission and the
   * reference solution per arch in a grade's page (tools/view.py). */
  const pairs = data.compare || (dumps.length >= 2 ? [[0, 1]] : []);
  if (pairs.length) root.append(el("h2", {}, "Side by side"));
  for (const [i, j] of pairs) root.append(differences(dumps[i], dumps[j]));
  const cols = el("div", { class: "columns" });
  root.append(cols);
  for (const d of dumps) cols.append(column(d));
  const done = performance.now();
  window.duetView = { dumps, renderMs: done - started, parseMs: parsed - started,
                      modelMs: modelled - parsed, drawMs: done - modelled };
  document.body.dataset.ready = "1";
}

main();
