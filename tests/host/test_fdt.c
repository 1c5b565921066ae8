/*
 * Host tests of arch/aarch64/fdt.c, the device-tree parser.
 *
 * Real inputs: QEMU's own device trees and dtc-built variants from
 * tests/host/data/fdt/ (tools/make-test-dtbs.sh), each parsed to the exact
 * regions, command line and PSCI method it holds. Malformed inputs: blobs
 * built here, token by token, one per way a blob can be wrong, each of which
 * must be refused with a message that names the field (and, in the
 * structure block, the offset of the token at fault).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "../../arch/aarch64/fdt.c"

#define PA          0x40000000ULL /* where QEMU puts the DTB */
#define MAX_REGIONS 12

static struct boot_info bi;
static const char *psci;
static struct fdt_irq irq;

/* Parse `size` bytes at `blob`, placed at PA, into the fresh bi, psci and irq. */
static const char *parse(const void *blob, size_t size, paddr_t pa)
{
    memset(&bi, 0, sizeof(bi));
    memset(&irq, 0xa5, sizeof(irq)); /* fdt_parse must set every field */
    return fdt_parse(blob, size, pa, &bi, &psci, &irq);
}

/* bi.raw must be exactly `want` (n regions), in order. */
static void check_regions(const char *what, const struct mem_region *want, size_t n)
{
    if (bi.raw.count != n)
        host_fail(__FILE__, __LINE__, "%s: %zu regions, expected %zu", what, bi.raw.count, n);
    for (size_t i = 0; i < n && i < bi.raw.count; i++) {
        const struct mem_region *got = &bi.raw.regions[i];
        if (got->base != want[i].base || got->size != want[i].size || got->type != want[i].type)
            host_fail(__FILE__, __LINE__,
                      "%s: region %zu is [0x%llx +0x%llx %s], expected"
                      " [0x%llx +0x%llx %s]",
                      what, i, (unsigned long long)got->base, (unsigned long long)got->size,
                      mem_type_name(got->type), (unsigned long long)want[i].base,
                      (unsigned long long)want[i].size, mem_type_name(want[i].type));
    }
}

/* --- real inputs --------------------------------------------------------- */

static u8 *load(const char *name, size_t *size)
{
    return host_load_data("fdt", name, size);
}

/* A region's size of 0 in this table stands for the blob's own size. */
#define DTB                      \
    {                            \
        PA, 0, MEM_FIRMWARE_INFO \
    }
#define USABLE(b, s)     \
    {                    \
        b, s, MEM_USABLE \
    }
#define RESERVED(b, s)     \
    {                      \
        b, s, MEM_RESERVED \
    }
#define MODULE(b, s)     \
    {                    \
        b, s, MEM_MODULE \
    }

static const struct real_case {
    const char *file;
    const char *cmdline;
    const char *psci; /* NULL: no /psci */
    struct mem_region regions[MAX_REGIONS];
} real_cases[] = {
    /* qemu-system-aarch64 -M virt -cpu cortex-a72 -m ... */
    { "qemu-virt-128m.dtb", "", "hvc", { DTB, USABLE(0x40000000, 0x8000000) } },
    { "qemu-virt-1g.dtb", "", "hvc", { DTB, USABLE(0x40000000, 0x40000000) } },
    { "qemu-virt-3g.dtb", "", "hvc", { DTB, USABLE(0x40000000, 0xc0000000) } },
    { "qemu-virt-4g.dtb", "", "hvc", { DTB, USABLE(0x40000000, 0x100000000) } },
    /* at EL2 (virtualization=on) PSCI is the firmware's, behind SMC */
    { "qemu-virt-el2.dtb", "", "smc", { DTB, USABLE(0x40000000, 0x8000000) } },
    { "qemu-virt-append.dtb",
      "ktest=all console=ttyAMA0 x=\"a b\"",
      "hvc",
      { DTB, USABLE(0x40000000, 0x8000000) } },
    { "qemu-virt-initrd.dtb",
      "console=ttyAMA0",
      "hvc",
      { DTB, USABLE(0x40000000, 0x40000000), MODULE(0x48000000, 70000) } },
    { "qemu-virt-gicv3.dtb", "", "hvc", { DTB, USABLE(0x40000000, 0x8000000) } },
    /* dtc-built: see the .dts files */
    { "two-banks.dtb",
      "console=ttyAMA0 loglevel=8",
      "smc",
      { DTB, RESERVED(0x40000000, 0x10000), USABLE(0x40000000, 0x20000000),
        USABLE(0x100000000, 0x40000000), USABLE(0x200000000, 0x100000000),
        USABLE(0x60000000, 0x1000), RESERVED(0x5e000000, 0x200000), RESERVED(0x5f000000, 0x800000),
        MODULE(0x48000000, 0x800000) } },
    { "two-banks-v16.dtb",
      "console=ttyAMA0 loglevel=8",
      "smc",
      { DTB, RESERVED(0x40000000, 0x10000), USABLE(0x40000000, 0x20000000),
        USABLE(0x100000000, 0x40000000), USABLE(0x200000000, 0x100000000),
        USABLE(0x60000000, 0x1000), RESERVED(0x5e000000, 0x200000), RESERVED(0x5f000000, 0x800000),
        MODULE(0x48000000, 0x800000) } },
    { "one-cell.dtb",
      "ktest=all",
      NULL,
      { DTB, RESERVED(0x40000000, 0x1000), RESERVED(0x41000000, 0x20000),
        USABLE(0x40000000, 0x10000000), USABLE(0x60000000, 0x8000000),
        RESERVED(0x4f000000, 0x100000), RESERVED(0x4e000000, 0x1000),
        MODULE(0x44000000, 0x11170) } },
};

/* What QEMU's virt board says about interrupts, by GIC version. */
static const struct fdt_irq virt_gicv2 = {
    .gic_version = 2,
    .gicd_base = 0x8000000,
    .gicd_size = 0x10000,
    .gic2_base = 0x8010000,
    .gic2_size = 0x10000,
    .timer_intid = 27, /* PPI 11 */
    .uart_base = 0x9000000,
    .uart_intid = 33, /* SPI 1 */
};
static const struct fdt_irq virt_gicv3 = {
    .gic_version = 3,
    .gicd_base = 0x8000000,
    .gicd_size = 0x10000,
    .gic2_base = 0x80a0000,
    .gic2_size = 0xf60000,
    .timer_intid = 27,
    .uart_base = 0x9000000,
    .uart_intid = 33,
};

static const struct irq_case {
    const char *file;
    const struct fdt_irq *want; /* NULL: nothing (the dtc-built trees have no GIC) */
} irq_cases[] = {
    { "qemu-virt-128m.dtb", &virt_gicv2 },
    { "qemu-virt-4g.dtb", &virt_gicv2 },
    /* with virtualization=on: GICH and GICV follow GICC in reg, and the timer's
     * flags carry a CPU mask (0x104): neither changes what Duet reads */
    { "qemu-virt-el2.dtb", &virt_gicv2 },
    { "qemu-virt-gicv3.dtb", &virt_gicv3 },
    { "two-banks.dtb", NULL },
    { "one-cell.dtb", NULL },
};

static void check_irq(const char *what, const struct fdt_irq *want)
{
    static const struct fdt_irq none;

    if (!want)
        want = &none;
    CHECK_MSG(irq.gic_version == want->gic_version, "%s: GICv%u, expected %u", what,
              irq.gic_version, want->gic_version);
    CHECK_MSG(irq.gicd_base == want->gicd_base && irq.gicd_size == want->gicd_size,
              "%s: GICD 0x%llx +0x%llx", what, (unsigned long long)irq.gicd_base,
              (unsigned long long)irq.gicd_size);
    CHECK_MSG(irq.gic2_base == want->gic2_base && irq.gic2_size == want->gic2_size,
              "%s: GICC/GICR 0x%llx +0x%llx", what, (unsigned long long)irq.gic2_base,
              (unsigned long long)irq.gic2_size);
    CHECK_MSG(irq.timer_intid == want->timer_intid, "%s: timer INTID %u, expected %u", what,
              irq.timer_intid, want->timer_intid);
    CHECK_MSG(irq.uart_base == want->uart_base && irq.uart_intid == want->uart_intid,
              "%s: PL011 at 0x%llx INTID %u, expected 0x%llx INTID %u", what,
              (unsigned long long)irq.uart_base, irq.uart_intid,
              (unsigned long long)want->uart_base, want->uart_intid);
}

static void real_blobs_name_their_interrupts(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(irq_cases); i++) {
        const struct irq_case *c = &irq_cases[i];
        size_t size;
        u8 *blob = load(c->file, &size);
        const char *err;

        if (!blob)
            continue;
        err = parse(blob, size, PA);
        CHECK_MSG(!err, "%s: %s", c->file, err);
        if (!err)
            check_irq(c->file, c->want);
        free(blob);
    }
}

static void real_blobs_parse_to_their_regions(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(real_cases); i++) {
        const struct real_case *c = &real_cases[i];
        struct mem_region want[MAX_REGIONS];
        size_t size, n = 0;
        u8 *blob = load(c->file, &size);
        const char *err;

        if (!blob)
            continue;
        for (; n < MAX_REGIONS && c->regions[n].type; n++) {
            want[n] = c->regions[n];
            if (want[n].type == MEM_FIRMWARE_INFO)
                want[n].size = size;
        }
        err = parse(blob, size, PA);
        CHECK_MSG(!err, "%s: %s", c->file, err);
        check_regions(c->file, want, n);
        CHECK_MSG(strcmp(bi.cmdline, c->cmdline) == 0, "%s: cmdline \"%s\", expected \"%s\"",
                  c->file, bi.cmdline, c->cmdline);
        CHECK_MSG(c->psci ? psci && strcmp(psci, c->psci) == 0 : !psci,
                  "%s: psci method %s, expected %s", c->file, psci ? psci : "(none)",
                  c->psci ? c->psci : "(none)");
        CHECK_EQ(bi.fw_info, PA);
        CHECK_EQ(bi.fw_info_size, size);
        free(blob);
    }
}

static void put_be32(u8 *p, u32 v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* As QEMU hands it over: totalsize 1 MiB, the blocks followed by zeros. */
static void qemu_blob_as_loaded(void)
{
    const u32 total = 1 << 20;
    size_t size;
    u8 *packed = load("qemu-virt-128m.dtb", &size);
    u8 *blob = calloc(1, total);
    const char *err;

    if (!packed)
        return;
    memcpy(blob, packed, size);
    put_be32(blob + 4 * HDR_TOTALSIZE, total);
    err = parse(blob, total, PA);
    CHECK_MSG(!err, "%s", err);
    check_regions(
        "padded",
        (struct mem_region[]){ { PA, total, MEM_FIRMWARE_INFO }, USABLE(0x40000000, 0x8000000) },
        2);
    /* One byte short of what it claims: refused. */
    err = parse(blob, total - 1, PA);
    CHECK_MSG(err && strstr(err, "totalsize 0x100000"), "%s", err ? err : "accepted");
    free(blob);
    free(packed);
}

static void three_address_cells_are_refused(void)
{
    size_t size;
    u8 *blob = load("three-cells.dtb", &size);
    const char *err;

    if (!blob)
        return;
    err = parse(blob, size, PA);
    CHECK_MSG(err && strstr(err, "#address-cells at struct offset 0x") &&
                  strstr(err, "3 cells; Duet reads 1 or 2"),
              "got %s", err ? err : "no error");
    free(blob);
}

/* Every prefix of a real blob, taken as all there is, is refused, never overrun. */
static void truncated_blobs_are_refused(void)
{
    size_t size;
    u8 *blob = load("two-banks.dtb", &size);

    if (!blob)
        return;
    for (size_t avail = 0; avail < size; avail++) {
        u8 *copy = malloc(avail ? avail : 1); /* ASan guards its end */
        const char *err;

        memcpy(copy, blob, avail);
        err = parse(copy, avail, PA);
        CHECK_MSG(err && strncmp(err, "fdt: ", 5) == 0, "%zu bytes: %s", avail,
                  err ? err : "accepted");
        free(copy);
    }
    free(blob);
}

/* --- building blobs ------------------------------------------------------- */

/*
 * A blob is built in two steps: node(), prop() and friends append to the
 * structure and strings blocks, then assemble() lays out header,
 * memreserve block, structure block and strings block, as dtc does. A case
 * may then change any header field with set_header().
 */
static struct {
    u8 structure[8192];
    u32 struct_len;
    char strings[512];
    u32 strings_len;
    u64 rsv[4][2];
    int nrsv;
    bool rsv_unterminated; /* no (0, 0) entry: the block ends the blob */
    bool nops;             /* an FDT_NOP before every token */
    u32 mark;              /* struct offset the error must name (0: none) */
    size_t available;      /* what the parser may read (0: the blob) */
    paddr_t pa;
} b;
static u8 blob[16384] __attribute__((aligned(8)));
static u32 blob_size;

static void reset(void)
{
    memset(&b, 0, sizeof(b));
    b.pa = PA;
}

static void word(u32 v)
{
    put_be32(b.structure + b.struct_len, v);
    b.struct_len += 4;
}

static void token(u32 t)
{
    if (b.nops)
        word(FDT_NOP);
    word(t);
}

/* Remember this token's offset: the error must name it. */
static void mark(void)
{
    b.mark = b.struct_len + (b.nops ? 4 : 0);
}

static u32 string(const char *name)
{
    for (u32 off = 0; off < b.strings_len; off += strlen(b.strings + off) + 1)
        if (strcmp(b.strings + off, name) == 0)
            return off;
    strcpy(b.strings + b.strings_len, name);
    b.strings_len += strlen(name) + 1;
    return b.strings_len - strlen(name) - 1;
}

static void bytes(const void *data, u32 len)
{
    if (len)
        memcpy(b.structure + b.struct_len, data, len);
    b.struct_len += ALIGN_UP(len, 4u); /* the padding is already zero */
}

static void node(const char *name)
{
    token(FDT_BEGIN_NODE);
    bytes(name, strlen(name) + 1);
}

static void end(void)
{
    token(FDT_END_NODE);
}

static void prop(const char *name, const void *value, u32 len)
{
    token(FDT_PROP);
    word(len);
    word(string(name));
    bytes(value, len);
}

static void prop_str(const char *name, const char *value)
{
    prop(name, value, strlen(value) + 1);
}

/* A property of n 32-bit cells. */
static void prop_cells(const char *name, int n, ...)
{
    u8 value[64 * 4];
    va_list ap;

    va_start(ap, n);
    for (int i = 0; i < n; i++)
        put_be32(value + 4 * i, va_arg(ap, u32));
    va_end(ap);
    prop(name, value, 4 * n);
}

static void memreserve(u64 base, u64 size)
{
    b.rsv[b.nrsv][0] = base;
    b.rsv[b.nrsv][1] = size;
    b.nrsv++;
}

static void set_header(int field, u32 v)
{
    put_be32(blob + 4 * field, v);
}

static u32 header_field(int field)
{
    return be32(blob + 4 * field);
}

static void put_be64(u8 *p, u64 v)
{
    put_be32(p, v >> 32);
    put_be32(p + 4, (u32)v);
}

/* Lay the blob out: header, memreserve, structure, strings (or memreserve last). */
static void assemble(void)
{
    u32 off = FDT_HEADER_SIZE, rsv = 0, rsv_size = 16 * (b.nrsv + !b.rsv_unterminated);

    memset(blob, 0, sizeof(blob));
    if (!b.rsv_unterminated) {
        rsv = off;
        off += rsv_size;
    }
    set_header(HDR_OFF_DT_STRUCT, off);
    memcpy(blob + off, b.structure, b.struct_len);
    off += b.struct_len;
    set_header(HDR_OFF_DT_STRINGS, off);
    memcpy(blob + off, b.strings, b.strings_len);
    off += b.strings_len;
    if (b.rsv_unterminated) {
        off = ALIGN_UP(off, 8u);
        rsv = off;
        off += rsv_size;
    }
    for (int i = 0; i < b.nrsv; i++) {
        put_be64(blob + rsv + 16 * i, b.rsv[i][0]);
        put_be64(blob + rsv + 16 * i + 8, b.rsv[i][1]);
    }
    set_header(HDR_MAGIC, FDT_MAGIC);
    set_header(HDR_TOTALSIZE, off);
    set_header(HDR_OFF_MEM_RSVMAP, rsv);
    set_header(HDR_VERSION, 17);
    set_header(HDR_LAST_COMP_VERSION, 16);
    set_header(HDR_SIZE_DT_STRINGS, b.strings_len);
    set_header(HDR_SIZE_DT_STRUCT, b.struct_len);
    blob_size = off;
}

/* The root's first properties: #address-cells and #size-cells. */
static void root(u32 address_cells, u32 size_cells)
{
    node("");
    prop_cells("#address-cells", 1, address_cells);
    prop_cells("#size-cells", 1, size_cells);
}

/*
 * The tree most cases start from, left open after the last node so that a
 * case can add its own; finish() closes it.
 *
 *   / { #address-cells = <2>; #size-cells = <2>;
 *       memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x8000000>; };
 *       reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
 *           fw@48000000 { reg = <0 0x48000000 0 0x100000>; no-map; }; };
 *       chosen { bootargs = "console=ttyAMA0"; linux,initrd-start = <0x44000000>;
 *                linux,initrd-end = <0x44100000>; };
 *       psci { method = "hvc"; };
 */
static void standard_tree(void)
{
    root(2, 2);
    node("memory@40000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 4, 0, 0x40000000, 0, 0x8000000);
    end();
    node("reserved-memory");
    prop_cells("#address-cells", 1, 2);
    prop_cells("#size-cells", 1, 2);
    prop("ranges", NULL, 0);
    node("fw@48000000");
    prop_cells("reg", 4, 0, 0x48000000, 0, 0x100000);
    prop("no-map", NULL, 0);
    end();
    end();
    node("chosen");
    prop_str("bootargs", "console=ttyAMA0");
    prop_cells("linux,initrd-start", 1, 0x44000000);
    prop_cells("linux,initrd-end", 1, 0x44100000);
    end();
    node("psci");
    prop_str("method", "hvc");
    end();
}

static const struct mem_region standard_regions[] = {
    { PA, 0, MEM_FIRMWARE_INFO }, /* size: blob_size */
    USABLE(0x40000000, 0x8000000),
    RESERVED(0x48000000, 0x100000),
    MODULE(0x44000000, 0x100000),
};

/* Close the root, end the structure block, lay the blob out. */
static void finish(void)
{
    end();
    token(FDT_END);
    assemble();
}

static const char *parse_built(void)
{
    return parse(blob, b.available ? b.available : blob_size, b.pa);
}

static void check_standard_result(const char *what)
{
    struct mem_region want[ARRAY_SIZE(standard_regions)];

    memcpy(want, standard_regions, sizeof(want));
    want[0].size = blob_size;
    check_regions(what, want, ARRAY_SIZE(want));
    CHECK_STR(bi.cmdline, "console=ttyAMA0");
    CHECK_STR(psci, "hvc");
}

static void standard_tree_parses(void)
{
    const char *err;

    reset();
    standard_tree();
    finish();
    err = parse_built();
    CHECK_MSG(!err, "%s", err);
    check_standard_result("standard tree");
}

/* FDT_NOP may stand before any token (5.4.1): it changes nothing. */
static void nops_are_skipped(void)
{
    const char *err;

    reset();
    b.nops = true;
    standard_tree();
    finish();
    err = parse_built();
    CHECK_MSG(!err, "%s", err);
    check_standard_result("with NOPs");
}

/* --- malformed blobs ------------------------------------------------------- */

static void standard(void)
{
    standard_tree();
    finish();
}

/* The header (5.2) */
static void short_of_a_header(void)
{
    standard();
    b.available = 39;
}
static void bad_magic(void)
{
    standard();
    set_header(HDR_MAGIC, 0xd00dfeef);
}
static void version_15(void)
{
    standard();
    set_header(HDR_VERSION, 15);
}
static void last_comp_version_18(void)
{
    standard();
    set_header(HDR_LAST_COMP_VERSION, 18);
}
static void totalsize_below_header(void)
{
    standard();
    set_header(HDR_TOTALSIZE, 39);
}
static void totalsize_past_available(void)
{
    standard();
    b.available = blob_size - 1;
}
static void rsvmap_in_header(void)
{
    standard();
    set_header(HDR_OFF_MEM_RSVMAP, 0x20);
}
static void rsvmap_unaligned(void)
{
    standard();
    set_header(HDR_OFF_MEM_RSVMAP, 0x2c);
}

static void rsvmap_past_totalsize(void)
{
    standard();
    set_header(HDR_OFF_MEM_RSVMAP, ALIGN_UP(blob_size + 1, 8u));
}

static void struct_unaligned(void)
{
    standard();
    set_header(HDR_OFF_DT_STRUCT, header_field(HDR_OFF_DT_STRUCT) + 2);
}

static void struct_in_header(void)
{
    standard();
    set_header(HDR_OFF_DT_STRUCT, 0x24);
}
static void struct_past_totalsize(void)
{
    standard();
    set_header(HDR_OFF_DT_STRUCT, blob_size + 4);
}
static void struct_size_past_totalsize(void)
{
    standard();
    set_header(HDR_SIZE_DT_STRUCT, blob_size);
}

static void v16_struct_past_totalsize(void)
{
    standard();
    set_header(HDR_VERSION, 16);
    set_header(HDR_OFF_DT_STRUCT, ALIGN_UP(blob_size + 1, 4u));
}

static void strings_past_totalsize(void)
{
    standard();
    set_header(HDR_OFF_DT_STRINGS, blob_size + 1);
}

static void strings_size_past_totalsize(void)
{
    standard();
    set_header(HDR_SIZE_DT_STRINGS, header_field(HDR_SIZE_DT_STRINGS) + 1);
}

static void dtb_at_top_of_memory(void)
{
    standard();
    b.pa = 0xffffffffffffff00ULL;
}

/* The memory-reservation block (5.3) */
static void rsvmap_without_end(void)
{
    memreserve(0x1000, 0x1000);
    b.rsv_unterminated = true;
    standard();
}

static void rsvmap_entry_overflows(void)
{
    memreserve(0xfffffffffffff000ULL, 0x2000);
    standard();
}

/* The structure block (5.4) */
static void prop_header_cut_off(void)
{
    root(2, 2);
    mark();
    token(FDT_PROP);
    assemble();
}

static void prop_len_past_block(void)
{
    root(2, 2);
    mark();
    token(FDT_PROP);
    word(0x10000);
    word(string("model"));
    finish();
}

static void prop_len_huge(void)
{
    root(2, 2);
    mark();
    token(FDT_PROP);
    word(0xffffffff);
    word(string("model"));
    finish();
}

static void nameoff_past_strings(void)
{
    root(2, 2);
    mark();
    token(FDT_PROP);
    word(0);
    word(0x1000);
    finish();
}

static void name_unterminated_in_strings(void)
{
    root(2, 2);
    mark();
    prop_str("zz-the-last-name", "x");
    finish();
    set_header(HDR_SIZE_DT_STRINGS, header_field(HDR_SIZE_DT_STRINGS) - 1);
}

static void node_name_unterminated(void)
{
    root(2, 2);
    mark();
    token(FDT_BEGIN_NODE);
    bytes("abcd", 4);
    assemble();
}

static void node_name_padding_cut_off(void)
{
    root(2, 2);
    mark();
    node("abcde"); /* 6 bytes + 2 of padding */
    assemble();
    set_header(HDR_SIZE_DT_STRUCT, b.struct_len - 2);
}

static void nested_too_deep(void)
{
    root(2, 2); /* depth 1 */
    for (int depth = 2; depth <= FDT_MAX_DEPTH; depth++)
        node("n");
    mark();
    node("n");
    for (int depth = 1; depth <= FDT_MAX_DEPTH + 1; depth++)
        end();
    token(FDT_END);
    assemble();
}

static void end_node_closes_nothing(void)
{
    root(2, 2);
    end();
    mark();
    end();
    token(FDT_END);
    assemble();
}

static void end_inside_a_node(void)
{
    root(2, 2);
    node("chosen");
    mark();
    token(FDT_END);
    assemble();
}

static void no_end_token(void)
{
    root(2, 2);
    end();
    mark();
    assemble();
}

static void unknown_token(void)
{
    standard_tree();
    mark();
    token(0x7);
    finish();
}

static void prop_outside_any_node(void)
{
    mark();
    prop_str("model", "x");
    root(2, 2);
    finish();
}

static void prop_after_a_child(void)
{
    root(2, 2);
    node("cpus");
    end();
    mark();
    prop_str("model", "x");
    finish();
}

static void prop_after_a_child_deep_down(void)
{
    root(2, 2);
    for (int i = 0; i < 6; i++)
        node("n");
    node("leaf");
    end();
    mark();
    prop_str("model", "x");
    for (int i = 0; i < 6; i++)
        end();
    finish();
}

static void second_root(void)
{
    root(2, 2);
    end();
    mark();
    node("");
    end();
    token(FDT_END);
    assemble();
}

static void no_root(void)
{
    mark();
    token(FDT_END);
    assemble();
}

/* #address-cells and #size-cells (2.3.5) */
static void root_address_cells_3(void)
{
    node("");
    mark();
    prop_cells("#address-cells", 1, 3);
    finish();
}

static void root_size_cells_0(void)
{
    node("");
    prop_cells("#address-cells", 1, 2);
    mark();
    prop_cells("#size-cells", 1, 0);
    finish();
}

static void root_address_cells_8_bytes(void)
{
    node("");
    mark();
    prop_cells("#address-cells", 2, 0, 2);
    finish();
}

static void reserved_memory_size_cells_3(void)
{
    root(2, 2);
    node("reserved-memory");
    prop_cells("#address-cells", 1, 2);
    mark();
    prop_cells("#size-cells", 1, 3);
    end();
    finish();
}

static void reserved_memory_with_ranges(void)
{
    root(2, 2);
    node("reserved-memory");
    prop_cells("#address-cells", 1, 2);
    prop_cells("#size-cells", 1, 2);
    mark();
    prop_cells("ranges", 6, 0, 0, 0, 0x40000000, 0, 0x10000000);
    end();
    finish();
}

/* /memory (3.4) and /reserved-memory (3.5) reg */
static void memory_reg_not_whole_pairs(void)
{
    root(2, 2);
    node("memory@40000000");
    prop_str("device_type", "memory");
    mark();
    prop_cells("reg", 3, 0, 0x40000000, 0);
    end();
    finish();
}

static void memory_reg_overflows(void)
{
    root(2, 2);
    node("memory@fffffffffffff000");
    prop_str("device_type", "memory");
    mark();
    prop_cells("reg", 4, 0xffffffff, 0xfffff000, 0, 0x2000);
    end();
    finish();
}

static void memory_fills_the_map(void)
{
    static u8 reg[MEMMAP_MAX_REGIONS * 16];

    for (int i = 0; i < MEMMAP_MAX_REGIONS; i++) {
        put_be64(reg + 16 * i, 0x40000000 + 0x200000ULL * i);
        put_be64(reg + 16 * i + 8, 0x100000);
    }
    root(2, 2);
    node("memory@40000000");
    prop_str("device_type", "memory");
    mark();
    prop("reg", reg, sizeof(reg)); /* with the DTB itself: one too many */
    end();
    finish();
}

/* Its own cells are 1 and 1, so 12 bytes are not whole pairs (with the root's 2 and 2 neither). */
static void reservation_reg_in_own_cells(void)
{
    root(2, 2);
    node("reserved-memory");
    prop_cells("#address-cells", 1, 1);
    prop_cells("#size-cells", 1, 1);
    prop("ranges", NULL, 0);
    node("fw@48000000");
    mark();
    prop_cells("reg", 3, 0x48000000, 0x100000, 0);
    end();
    end();
    finish();
}

/* /chosen (3.6) */
static void chosen(void)
{
    root(2, 2);
    node("chosen");
}

static void bootargs_unterminated(void)
{
    chosen();
    mark();
    prop("bootargs", "abc", 3);
    end();
    finish();
}
static void bootargs_empty(void)
{
    chosen();
    mark();
    prop("bootargs", NULL, 0);
    end();
    finish();
}

static void initrd_start_3_bytes(void)
{
    chosen();
    mark();
    prop("linux,initrd-start", "\x44\0\0", 3);
    end();
    finish();
}

static void initrd_end_16_bytes(void)
{
    chosen();
    prop_cells("linux,initrd-start", 1, 0x44000000);
    mark();
    prop_cells("linux,initrd-end", 4, 0, 0, 0, 0x44100000);
    end();
    finish();
}

static void initrd_start_alone(void)
{
    root(2, 2);
    mark();
    node("chosen");
    prop_cells("linux,initrd-start", 2, 0, 0x44000000);
    end();
    finish();
}

static void initrd_end_alone(void)
{
    root(2, 2);
    mark();
    node("chosen");
    prop_cells("linux,initrd-end", 1, 0x44000000);
    end();
    finish();
}

static void initrd_end_below_start(void)
{
    root(2, 2);
    mark();
    node("chosen");
    prop_cells("linux,initrd-start", 1, 0x44100000);
    prop_cells("linux,initrd-end", 1, 0x44000000);
    end();
    finish();
}

/* --- interrupts: the GIC, the timer, the PL011 -------------------------------- */

#define GIC_PHANDLE 0x8002

static bool accepted(void);

/* The root with interrupt-parent = the GIC, left open. */
static void irq_root(void)
{
    root(2, 2);
    prop_cells("interrupt-parent", 1, GIC_PHANDLE);
}

/* A GICv3 node like QEMU's, with `cells` #interrupt-cells and `pairs` reg pairs. */
static void gic_node(const char *compatible, u32 cells, int pairs)
{
    node("intc@8000000");
    prop_cells("phandle", 1, GIC_PHANDLE);
    if (pairs == 2)
        prop_cells("reg", 8, 0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000);
    else
        prop_cells("reg", 4, 0, 0x8000000, 0, 0x10000);
    prop_str("compatible", compatible);
    prop("interrupt-controller", NULL, 0);
    prop_cells("#interrupt-cells", 1, cells);
    end();
}

/* The timer binding's four PPIs: 13, 14, `virt` (the virtual timer), 10. */
static void timer_node(u32 virt_type, u32 virt)
{
    static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";

    node("timer");
    prop_cells("interrupts", 12, 1, 13, 4, 1, 14, 4, virt_type, virt, 4, 1, 10, 4);
    prop("compatible", compat, sizeof(compat));
    end();
}

static void pl011_node(u32 base, u32 type, u32 spi)
{
    static const char compat[] = "arm,pl011\0arm,primecell";
    char name[32];

    snprintf(name, sizeof(name), "pl011@%x", base);
    node(name);
    prop_cells("interrupts", 3, type, spi, 4);
    prop_cells("reg", 4, 0, base, 0, 0x1000);
    prop("compatible", compat, sizeof(compat));
    end();
}

/* QEMU's order: the devices before the GIC, whose phandle they name. */
static void devices_before_the_gic(void)
{
    reset();
    irq_root();
    pl011_node(0x9000000, 0, 1);
    timer_node(1, 11);
    gic_node("arm,gic-v3", 3, 2);
    finish();
    if (accepted())
        check_irq("devices before the GIC", &virt_gicv3);
}

/* A GIC v2 by its other names, first; 4 interrupt cells (the v3 binding's
 * PPI partitions) are read as 3 and a 4th. */
static void gic_compatibles_and_four_cells(void)
{
    static const char *const names[] = { "arm,cortex-a15-gic", "arm,gic-400" };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        reset();
        irq_root();
        gic_node(names[i], 3, 2);
        finish();
        if (accepted())
            CHECK_EQ(irq.gic_version, 2u);
    }
    reset();
    irq_root();
    gic_node("arm,gic-v3", 4, 2);
    node("timer");
    prop_cells("interrupts", 16, 1, 13, 4, 0, 1, 14, 4, 0, 1, 11, 4, 0, 1, 10, 4, 0);
    prop_str("compatible", "arm,armv8-timer");
    end();
    finish();
    if (accepted())
        CHECK_EQ(irq.timer_intid, 27u);
}

/* Only the first enabled PL011 counts; the first GIC wins; an unknown
 * interrupt controller's devices and a node with another parent are not ours. */
static void which_devices_count(void)
{
    reset();
    irq_root();
    node("pl011@9040000");
    prop_str("compatible", "arm,pl011");
    prop_cells("reg", 4, 0, 0x9040000, 0, 0x1000);
    prop_cells("interrupts", 3, 0, 8, 4);
    prop_str("status", "disabled");
    end();
    pl011_node(0x9000000, 0, 1);
    pl011_node(0x9030000, 0, 7);
    gic_node("arm,gic-v3", 3, 2);
    gic_node("arm,gic-400", 3, 2);
    node("timer");
    prop_cells("interrupt-parent", 1, 0x1234);
    prop_cells("interrupts", 12, 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4);
    prop_str("compatible", "arm,armv8-timer");
    end();
    finish();
    if (accepted()) {
        CHECK_EQ(irq.gic_version, 3u);
        CHECK_EQ(irq.uart_base, 0x9000000ull);
        CHECK_EQ(irq.uart_intid, 33u);
        CHECK_EQ(irq.timer_intid, 0u);
    }
    /* No interrupt-parent anywhere: nothing says the GIC is the parent. */
    reset();
    root(2, 2);
    timer_node(1, 11);
    gic_node("arm,gic-v3", 3, 2);
    finish();
    if (accepted()) {
        CHECK_EQ(irq.gic_version, 3u);
        CHECK_EQ(irq.timer_intid, 0u);
    }
    /* No GIC: the timer's and the UART's interrupts mean nothing. */
    reset();
    irq_root();
    timer_node(1, 11);
    pl011_node(0x9000000, 0, 1);
    finish();
    if (accepted()) {
        CHECK_EQ(irq.gic_version, 0u);
        CHECK_EQ(irq.timer_intid, 0u);
        CHECK_EQ(irq.uart_intid, 0u);
    }
}

/* The extremes of the ranges: PPI 15 is INTID 31, SPI 987 is INTID 1019. */
static void interrupt_ranges_edges(void)
{
    reset();
    irq_root();
    timer_node(1, 15);
    pl011_node(0x9000000, 0, 987);
    gic_node("arm,gic-v3", 3, 2);
    finish();
    if (accepted()) {
        CHECK_EQ(irq.timer_intid, 31u);
        CHECK_EQ(irq.uart_intid, 1019u);
    }
}

static void gic_reg_one_pair(void)
{
    irq_root();
    mark();
    gic_node("arm,gic-v3", 3, 1);
    finish();
}

static void gic_interrupt_cells_2(void)
{
    irq_root();
    mark();
    gic_node("arm,gic-v3", 2, 2);
    finish();
}

static void gic_phandle_8_bytes(void)
{
    irq_root();
    node("intc@8000000");
    mark();
    prop_cells("phandle", 2, 0, GIC_PHANDLE);
    end();
    finish();
}

static void root_interrupt_parent_2_bytes(void)
{
    root(2, 2);
    mark();
    prop("interrupt-parent", "\x80\x02", 2);
    finish();
}

static void timer_without_a_virtual_entry(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    node("timer");
    prop_str("compatible", "arm,armv8-timer");
    mark();
    prop_cells("interrupts", 6, 1, 13, 4, 1, 14, 4);
    end();
    finish();
}

static void timer_interrupts_not_whole_entries(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    node("timer");
    prop_str("compatible", "arm,armv8-timer");
    mark();
    prop_cells("interrupts", 10, 1, 13, 4, 1, 14, 4, 1, 11, 4, 1);
    end();
    finish();
}

static void timer_virtual_is_an_spi(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    timer_node(0, 11);
    finish();
}

static void timer_ppi_16(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    timer_node(1, 16);
    finish();
}

static void pl011_interrupt_is_a_ppi(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    pl011_node(0x9000000, 1, 1);
    finish();
}

static void pl011_spi_988(void)
{
    irq_root();
    gic_node("arm,gic-v3", 3, 2);
    pl011_node(0x9000000, 0, 988);
    finish();
}

static void pl011_without_reg(void)
{
    irq_root();
    mark();
    node("pl011@9000000");
    prop_str("compatible", "arm,pl011");
    end();
    finish();
}

/* /psci */
static void psci_method_unterminated(void)
{
    root(2, 2);
    node("psci");
    mark();
    prop("method", "hvc", 3);
    end();
    finish();
}

static const struct bad_case {
    const char *name;
    void (*build)(void);
    const char *message; /* what the error must say */
} bad_cases[] = {
#define BAD(fn, msg) \
    {                \
#fn, fn, msg \
    }
    BAD(short_of_a_header, "fdt: only 39 bytes, less than the 40-byte header"),
    BAD(bad_magic, "header: magic 0xd00dfeef is not 0xd00dfeed"),
    BAD(version_15, "header: version 15 is older than 16"),
    BAD(last_comp_version_18, "header: last_comp_version 18 is newer than 17"),
    BAD(totalsize_below_header, "header: totalsize 0x27 is smaller than the header"),
    BAD(totalsize_past_available, "bytes available"),
    BAD(rsvmap_in_header, "header: off_mem_rsvmap 0x20 is outside"),
    BAD(rsvmap_unaligned, "header: off_mem_rsvmap 0x2c is not 8-byte aligned"),
    BAD(rsvmap_past_totalsize, "header: off_mem_rsvmap"),
    BAD(struct_unaligned, "is not 4-byte aligned"),
    BAD(struct_in_header, "header: off_dt_struct 0x24 is outside"),
    BAD(struct_past_totalsize, "header: off_dt_struct"),
    BAD(struct_size_past_totalsize, "+ size_dt_struct"),
    BAD(v16_struct_past_totalsize, "header: off_dt_struct"),
    BAD(strings_past_totalsize, "header: off_dt_strings"),
    BAD(strings_size_past_totalsize, "+ size_dt_strings"),
    BAD(dtb_at_top_of_memory, "the DTB itself, at PA 0xffffffffffffff00"),
    BAD(rsvmap_without_end, "memreserve entry at offset"),
    BAD(rsvmap_entry_overflows, "memreserve entry at offset 0x28: base 0xfffffffffffff000 size"
                                " 0x2000: region runs past the end of the address space"),
    BAD(prop_header_cut_off, "len and nameoff run past the structure block"),
    BAD(prop_len_past_block, "len 0x10000 runs past the structure block (size 0x"),
    BAD(prop_len_huge, "len 0xffffffff runs past the structure block"),
    BAD(nameoff_past_strings, "nameoff 0x1000 is outside the strings block"),
    BAD(name_unterminated_in_strings, "is not NUL-terminated inside the strings block"),
    BAD(node_name_unterminated, "name runs past the structure block"),
    BAD(node_name_padding_cut_off, "name runs past the structure block"),
    BAD(nested_too_deep, "nested deeper than 64"),
    BAD(end_node_closes_nothing, "FDT_END_NODE at struct offset"),
    BAD(end_inside_a_node, "2 nodes still open"),
    BAD(no_end_token, "ends without FDT_END"),
    BAD(unknown_token, "unknown token 0x7"),
    BAD(prop_outside_any_node, "property model at struct offset 0x0: outside any node"),
    BAD(prop_after_a_child, "property model at struct offset"),
    BAD(prop_after_a_child_deep_down, "after a child node"),
    BAD(second_root, "a second root node"),
    BAD(no_root, "no root node"),
    BAD(root_address_cells_3, "#address-cells at struct offset 0x8: 3 cells; Duet reads 1 or 2"),
    BAD(root_size_cells_0, "#size-cells at struct offset"),
    BAD(root_address_cells_8_bytes, "#address-cells at struct offset 0x8: len 8, not 4"),
    BAD(reserved_memory_size_cells_3, "#size-cells at struct offset"),
    BAD(reserved_memory_with_ranges, "ranges at struct offset"),
    BAD(memory_reg_not_whole_pairs, "len 12 is not a multiple of 16 (#address-cells 2,"
                                    " #size-cells 2)"),
    BAD(memory_reg_overflows, "base 0xfffffffffffff000 size 0x2000: region runs past"),
    BAD(memory_fills_the_map, "reg at struct offset"),
    BAD(reservation_reg_in_own_cells, "len 12 is not a multiple of 8 (#address-cells 1,"),
    BAD(bootargs_unterminated, "bootargs at struct offset"),
    BAD(bootargs_empty, "bootargs at struct offset"),
    BAD(initrd_start_3_bytes, "linux,initrd-start at struct offset"),
    BAD(initrd_end_16_bytes, "linux,initrd-end at struct offset"),
    BAD(initrd_start_alone, "linux,initrd-start without linux,initrd-end"),
    BAD(initrd_end_alone, "linux,initrd-end without linux,initrd-start"),
    BAD(initrd_end_below_start, "linux,initrd-end 0x44000000 is below linux,initrd-start"
                                " 0x44100000"),
    BAD(psci_method_unterminated, "method at struct offset"),
    BAD(gic_reg_one_pair, "reg holds 16 bytes; Duet needs 2 (address, size) pairs"),
    BAD(gic_interrupt_cells_2, "#interrupt-cells 2; Duet reads 3 or 4"),
    BAD(gic_phandle_8_bytes, "phandle at struct offset"),
    BAD(root_interrupt_parent_2_bytes, "interrupt-parent at struct offset"),
    BAD(timer_without_a_virtual_entry, "the virtual timer's is entry 2 of 12 bytes"),
    BAD(timer_interrupts_not_whole_entries, "interrupts at struct offset"),
    BAD(timer_virtual_is_an_spi, "the virtual timer's type is 0, not 1 (PPI)"),
    BAD(timer_ppi_16, "the virtual timer's PPI 16 is out of range"),
    BAD(pl011_interrupt_is_a_ppi, "the PL011's type is 1, not 0 (SPI)"),
    BAD(pl011_spi_988, "the PL011's SPI 988 is out of range"),
    BAD(pl011_without_reg, "PL011 at struct offset"),
#undef BAD
};

/* Parse the built blob from a copy of exactly the bytes available, so that
 * AddressSanitizer catches a read past them. */
static const char *parse_copy(void)
{
    size_t avail = b.available ? b.available : blob_size;
    static u8 *copy;
    const char *err;

    free(copy);
    copy = malloc(avail);
    memcpy(copy, blob, avail);
    err = parse(copy, avail, b.pa);
    return err;
}

static void malformed_blobs_are_refused(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        char where[64];
        const char *err;

        reset();
        c->build();
        err = parse_copy();
        snprintf(where, sizeof(where), "struct offset 0x%x", b.mark);
        if (!err)
            host_fail(__FILE__, __LINE__, "%s: accepted", c->name);
        else if (strncmp(err, "fdt: ", 5) != 0 || !strstr(err, c->message))
            host_fail(__FILE__, __LINE__, "%s: \"%s\" does not say \"%s\"", c->name, err,
                      c->message);
        else if (b.mark && !strstr(err, where))
            host_fail(__FILE__, __LINE__, "%s: \"%s\" does not name %s", c->name, err, where);
    }
}

/* --- what is read, and what is not ------------------------------------------ */

/* Parse the built blob; it must be accepted. */
static bool accepted(void)
{
    const char *err = parse_copy();

    CHECK_MSG(!err, "%s", err);
    return !err;
}

/* Without #address-cells and #size-cells, reg is 2 cells + 1 cell (2.3.5). */
static void cells_default_to_2_and_1(void)
{
    reset();
    node("");
    node("memory@40000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 3, 0, 0x40000000, 0x8000000);
    end();
    finish();
    if (accepted())
        check_regions("default cells",
                      (struct mem_region[]){ { PA, blob_size, MEM_FIRMWARE_INFO },
                                             USABLE(0x40000000, 0x8000000) },
                      2);
}

/*
 * One address cell and two size cells: each pair is 12 bytes, the size
 * read as 64 bits after a 32-bit address; sizes of 4 GiB and more, and
 * several pairs in one reg.
 */
static void one_address_cell_and_two_size_cells(void)
{
    reset();
    root(1, 2);
    node("memory@40000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 6, 0x40000000, 0x1, 0x0, 0x80000000, 0x0, 0x200000);
    end();
    finish();
    if (accepted())
        check_regions("1 + 2 cells",
                      (struct mem_region[]){ { PA, blob_size, MEM_FIRMWARE_INFO },
                                             USABLE(0x40000000, 0x100000000),
                                             USABLE(0x80000000, 0x200000) },
                      3);
}

/* Only what the tree says is RAM, in the root's address space, is usable. */
static void only_memory_nodes_are_ram(void)
{
    reset();
    root(1, 1);
    node("memory@10000000"); /* status "okay" and "ok" are enabled */
    prop_str("device_type", "memory");
    prop_str("status", "okay");
    prop_cells("reg", 2, 0x10000000, 0x1000);
    end();
    node("memory@20000000");
    prop_cells("reg", 2, 0x20000000, 0x1000);
    prop_str("status", "ok");
    prop_str("device_type", "memory"); /* after reg is fine */
    end();
    node("memory@30000000"); /* disabled */
    prop_str("device_type", "memory");
    prop_str("status", "disabled");
    prop_cells("reg", 2, 0x30000000, 0x1000);
    end();
    node("memory@40000000"); /* not quite "memory" */
    prop("device_type", "memory", 6);
    prop_cells("reg", 2, 0x40000000, 0x1000);
    end();
    node("ram@50000000"); /* not a memory node's name */
    prop_str("device_type", "memory");
    prop_cells("reg", 2, 0x50000000, 0x1000);
    end();
    node("memoryx@60000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 2, 0x60000000, 0x1000);
    end();
    node("soc"); /* not a child of the root */
    prop_cells("#address-cells", 1, 1);
    prop_cells("#size-cells", 1, 1);
    node("memory@70000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 2, 0x70000000, 0x1000);
    end();
    end();
    node("memory@80000000"); /* empty reg, and a size of 0: nothing */
    prop_str("device_type", "memory");
    prop("reg", NULL, 0);
    end();
    node("memory@90000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 4, 0x90000000, 0, 0x91000000, 0x1000);
    end();
    finish();
    if (accepted())
        check_regions("memory nodes",
                      (struct mem_region[]){ { PA, blob_size, MEM_FIRMWARE_INFO },
                                             USABLE(0x10000000, 0x1000),
                                             USABLE(0x20000000, 0x1000),
                                             USABLE(0x91000000, 0x1000) },
                      4);
}

/* Children of /reserved-memory: reg in its own cells; size-only and disabled ones ignored. */
static void reservations(void)
{
    reset();
    root(2, 2);
    node("reserved-memory");
    prop_cells("#address-cells", 1, 1);
    prop_cells("#size-cells", 1, 1);
    prop("ranges", NULL, 0);
    node("a@50000000");
    prop_cells("reg", 4, 0x50000000, 0x1000, 0x51000000, 0x2000);
    prop("no-map", NULL, 0);
    end();
    node("b@52000000");
    prop_cells("reg", 2, 0x52000000, 0x3000);
    end();
    node("pool");
    prop_cells("size", 1, 0x400000);
    prop_cells("alignment", 1, 0x1000);
    end();
    node("c@53000000");
    prop_str("status", "disabled");
    prop_cells("reg", 2, 0x53000000, 0x1000);
    end();
    node("d@54000000"); /* a grandchild: not a reservation */
    node("e@55000000");
    prop_cells("reg", 2, 0x55000000, 0x1000);
    end();
    end();
    end();
    finish();
    if (accepted())
        check_regions("reservations",
                      (struct mem_region[]){ { PA, blob_size, MEM_FIRMWARE_INFO },
                                             RESERVED(0x50000000, 0x1000),
                                             RESERVED(0x51000000, 0x2000),
                                             RESERVED(0x52000000, 0x3000) },
                      4);
}

/* #address-cells of other nodes (/cpus has #size-cells = <0>, PCI 3) is not ours to judge. */
static void other_nodes_cells_are_not_read(void)
{
    reset();
    standard_tree();
    node("cpus");
    prop_cells("#address-cells", 1, 1);
    prop_cells("#size-cells", 1, 0);
    end();
    node("pcie@10000000");
    prop_cells("#address-cells", 1, 3);
    prop_cells("#size-cells", 1, 2);
    end();
    finish();
    if (accepted())
        check_standard_result("with /cpus and /pcie");
}

static void deepest_tree_is_read(void)
{
    reset();
    root(2, 2);
    for (int depth = 2; depth <= FDT_MAX_DEPTH; depth++)
        node("n");
    for (int depth = 2; depth <= FDT_MAX_DEPTH; depth++)
        end();
    node("memory@40000000");
    prop_str("device_type", "memory");
    prop_cells("reg", 4, 0, 0x40000000, 0, 0x1000);
    end();
    finish();
    if (accepted())
        check_regions("64 deep",
                      (struct mem_region[]){ { PA, blob_size, MEM_FIRMWARE_INFO },
                                             USABLE(0x40000000, 0x1000) },
                      2);
}

static void long_bootargs_are_cut(void)
{
    char args[BOOT_CMDLINE_MAX + 100];

    memset(args, 'a', sizeof(args) - 1);
    args[sizeof(args) - 1] = '\0';
    reset();
    chosen();
    prop_str("bootargs", args);
    end();
    finish();
    if (accepted()) {
        CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
        CHECK(strncmp(bi.cmdline, args, BOOT_CMDLINE_MAX - 1) == 0);
    }
}

/* A NUL inside bootargs ends the command line; the rest is not read. */
static void bootargs_end_at_their_nul(void)
{
    reset();
    chosen();
    prop("bootargs", "one\0two", 8);
    end();
    finish();
    if (accepted())
        CHECK_STR(bi.cmdline, "one");
}

/* A memreserve entry of size 0 is not the end; only (0, 0) is. */
static void memreserve_ends_at_zero_zero(void)
{
    reset();
    memreserve(0x1000, 0);
    memreserve(0x2000, 0x1000);
    memreserve(0, 0x1000);
    standard();
    if (accepted()) {
        CHECK_EQ(bi.raw.count, ARRAY_SIZE(standard_regions) + 2);
        CHECK_EQ(bi.raw.regions[1].base, 0x2000);
        CHECK_EQ(bi.raw.regions[2].base, 0);
        CHECK_EQ(bi.raw.regions[2].type, MEM_RESERVED);
    }
}

HOST_TESTS(real_blobs_parse_to_their_regions, qemu_blob_as_loaded, three_address_cells_are_refused,
           truncated_blobs_are_refused, standard_tree_parses, nops_are_skipped,
           malformed_blobs_are_refused, cells_default_to_2_and_1,
           one_address_cell_and_two_size_cells, only_memory_nodes_are_ram, reservations,
           other_nodes_cells_are_not_read, deepest_tree_is_read, long_bootargs_are_cut,
           bootargs_end_at_their_nul, memreserve_ends_at_zero_zero,
           real_blobs_name_their_interrupts, devices_before_the_gic, gic_compatibles_and_four_cells,
           which_devices_count, interrupt_ranges_edges)
