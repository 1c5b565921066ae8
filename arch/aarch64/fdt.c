/*
 * fdt.c: the device-tree parser declared in fdt.h. References are to the
 * Devicetree Specification v0.4 ("spec").
 *
 * A DTB is big-endian and has four parts, found through its header (5.2):
 *
 *   header           magic, totalsize, and where the other three parts are
 *   memreserve       (address, size) pairs of 64 bits, ended by (0, 0) (5.3)
 *   structure block  32-bit tokens (5.4): FDT_BEGIN_NODE + the node's name,
 *                    FDT_PROP + len + nameoff + value, FDT_END_NODE, FDT_NOP,
 *                    and FDT_END; names and values are padded to 4 bytes
 *   strings block    the property names, each NUL-terminated; a property
 *                    names its own by the offset nameoff (5.5)
 *
 * Nothing in the blob is trusted. The header's parts must lie inside the
 * bytes we may read; every read in the structure block is checked against
 * its end before it happens; every token moves the walk forward by at least
 * 4 bytes, so the walk ends. The first thing found wrong stops the parse
 * with a message naming the field and its offset.
 *
 * The walk keeps a record of the open nodes at depths 0..2 only: the root,
 * its children (/memory, /reserved-memory, /chosen, /psci, and the devices
 * below) and the children of /reserved-memory. Deeper nodes are only counted. A node's properties
 * are collected as they come and acted on at its FDT_END_NODE, because its
 * reg may come before its device_type.
 *
 * Decisions the spec leaves open, or that Duet makes stricter:
 *   - Versions 16 and 17 are read. Version 16 has no size_dt_struct, so
 *     its structure block is taken to run to totalsize (as libfdt does).
 *   - The root's and /reserved-memory's #address-cells and #size-cells
 *     must be 1 or 2 (a physical address or size fits in 64 bits); absent,
 *     they are 2 and 1 (2.3.5). Other nodes' cells are not read.
 *   - Properties after a child node and a second root node are refused:
 *     the grammar of 5.4.2 has no place for them.
 *   - RAM is a child of the root named memory or memory@..., with
 *     device_type "memory" and a status of "okay", "ok" or none.
 *   - /reserved-memory must have an empty ranges: its children's reg are
 *     then addresses in the root's space, written in its own cells.
 *   - The memreserve block ends only at (0, 0); an entry of size 0 adds
 *     nothing.
 *   - linux,initrd-start and linux,initrd-end come together, 4 or 8 bytes
 *     each, end >= start.
 *   - bootargs must hold a NUL; a longer one than BOOT_CMDLINE_MAX - 1
 *     bytes is cut, with a note.
 *   - A tree without RAM is not refused here: physmem_init() says so.
 *
 * Interrupts (struct fdt_irq). Only children of the root are read, as
 * QEMU's virt board places them; a device under a bus node would need
 * the bus's ranges. Recognised by compatible, first of each kind wins:
 *   - the GIC: "arm,gic-v3" (v3: reg = GICD, then GICR) or
 *     "arm,cortex-a15-gic" / "arm,gic-400" (v2: reg = GICD, then GICC),
 *     with #interrupt-cells 3 or 4 (the GIC bindings: type, number, flags,
 *     and for v3 an optional PPI-partition phandle, not read);
 *   - "arm,armv8-timer": the third entry of its interrupts is the virtual
 *     timer (the binding's order: secure, non-secure, virtual, hypervisor);
 *   - "arm,pl011": its reg's first region and its interrupts' first entry.
 * Disabled nodes are skipped. A device's interrupts are read only when its
 * interrupt-parent (its own, else the root's) is the GIC's phandle:
 * another controller's specifiers mean nothing to the GIC. Since the GIC
 * node may come after the devices, their interrupts are decoded once the
 * walk is over. A specifier must be of the type the device needs (a PPI
 * for the timer, an SPI for the UART) and in range (PPI 0-15, SPI 0-987);
 * anything else is refused. interrupts-extended is not read.
 */
#include <duet/compiler.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/memmap.h>
#include "fdt.h"

#define FDT_MAGIC         0xd00dfeed
#define FDT_HEADER_SIZE   40 /* 5.2: ten 32-bit fields */
#define FDT_FIRST_VERSION 16 /* the oldest version we read */
#define FDT_LAST_VERSION  17 /* the spec's version: the newest we read */

/* Header fields, numbered by their position (5.2). */
enum {
    HDR_MAGIC,
    HDR_TOTALSIZE,
    HDR_OFF_DT_STRUCT,
    HDR_OFF_DT_STRINGS,
    HDR_OFF_MEM_RSVMAP,
    HDR_VERSION,
    HDR_LAST_COMP_VERSION,
    HDR_BOOT_CPUID_PHYS,
    HDR_SIZE_DT_STRINGS,
    HDR_SIZE_DT_STRUCT, /* new in version 17 */
};

/* Structure-block tokens (5.4.1). */
#define FDT_BEGIN_NODE 0x1
#define FDT_END_NODE   0x2
#define FDT_PROP       0x3
#define FDT_NOP        0x4
#define FDT_END        0x9

#define FDT_RSV_ENTRY_SIZE 16 /* 5.3: u64 address, u64 size */
#define FDT_MAX_DEPTH      64 /* far deeper than any real tree */
#define FDT_KEPT_DEPTH     3  /* root, child, grandchild */

/* 2.3.5: what #address-cells and #size-cells are when a node lacks them. */
#define FDT_DEFAULT_ADDRESS_CELLS 2
#define FDT_DEFAULT_SIZE_CELLS    1

enum node_kind {
    NODE_OTHER, /* nothing we read */
    NODE_ROOT,
    NODE_MEMORY,          /* /memory or /memory@<unit> (3.4) */
    NODE_RESERVED_MEMORY, /* /reserved-memory (3.5) */
    NODE_RESERVATION,     /* a child of /reserved-memory */
    NODE_CHOSEN,          /* /chosen (3.6) */
    NODE_PSCI,            /* /psci or /psci@<unit> */
    NODE_DEVICE,          /* any other child of the root: maybe a device we drive */
};

/* What a NODE_DEVICE is, by its compatible. */
enum device_kind {
    DEVICE_NONE,
    DEVICE_GIC_V2,
    DEVICE_GIC_V3,
    DEVICE_TIMER,
    DEVICE_PL011,
};

/* The GIC bindings' interrupt types (first cell of a specifier). */
#define GIC_SPI             0
#define GIC_PPI             1
#define GIC_PPI_COUNT       16
#define GIC_SPI_COUNT       988 /* INTIDs 32-1019 */
#define GIC_PPI_BASE        16
#define GIC_SPI_BASE        32
/* The timer binding's entries: secure, non-secure, virtual, hypervisor. */
#define TIMER_VIRTUAL_ENTRY 2

/* What the walk keeps of an open node at depth 0..2. */
struct node {
    enum node_kind kind;
    u32 offset;        /* of its FDT_BEGIN_NODE in the structure block */
    u32 address_cells; /* its #address-cells and #size-cells: how */
    u32 size_cells;    /* its children's reg is laid out */
    bool device_type_memory;
    bool disabled; /* status is neither "okay" nor "ok" (2.3.4) */
    const u8 *reg; /* its reg property, or NULL */
    u32 reg_len;
    u32 reg_offset;
    bool has_initrd_start, has_initrd_end;
    u64 initrd_start, initrd_end;
    /* NODE_DEVICE (and the root's interrupt-parent). 0: absent, which no
     * phandle is (2.3.3) and no #interrupt-cells we read is. */
    enum device_kind device;
    u32 phandle, interrupt_parent, interrupt_cells;
    const u8 *interrupts;
    u32 interrupts_len, interrupts_offset;
};

/* A device whose interrupts wait for the walk to end (see the top). */
struct device_seen {
    bool seen;
    u32 interrupt_parent; /* its own, else the root's; 0: none */
    const u8 *interrupts; /* NULL: it has none */
    u32 interrupts_len, interrupts_offset;
};

struct parser {
    const u8 *blob;
    u32 totalsize;
    u32 rsvmap_offset;
    const u8 *structure;
    u32 structure_size;
    const char *strings;
    u32 strings_size;
    struct boot_info *bi;
    const char *psci_method;
    struct fdt_irq *irq;
    u32 gic_phandle, gic_interrupt_cells;
    struct device_seen timer, uart;
    /* The walk: how many nodes are open, and the first FDT_KEPT_DEPTH of them. */
    int depth;
    bool root_closed;
    u64 had_child; /* bit d: the open node at depth d has had a child */
    struct node open[FDT_KEPT_DEPTH];
};

static char message[192];

/* Format the error message; returns it, for `return fail(...)`. */
static const char *fail(const char *fmt, ...) __printf(1, 2);
static const char *fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return message;
}

static u32 be32(const u8 *p)
{
    return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* Header field `field` (the enum above): the header is ten big-endian words. */
static u32 header_word(const u8 *b, unsigned field)
{
    return be32(b + sizeof(u32) * field);
}

static u64 be64(const u8 *p)
{
    return (u64)be32(p) << 32 | be32(p + 4);
}

/* A number of `cells` 32-bit cells (1 or 2), most significant first (2.2.4). */
static u64 read_cells(const u8 *p, u32 cells)
{
    return cells == 2 ? be64(p) : be32(p);
}

/* True when [off, off + len) lies inside a block of `size` bytes. */
static bool in_block(u64 off, u64 len, u64 size)
{
    return off <= size && len <= size - off;
}

/* Is the property value [value, value + len) exactly the string s? */
static bool prop_is(const u8 *value, u32 len, const char *s)
{
    return len == strlen(s) + 1 && memcmp(value, s, len) == 0;
}

/* Is node name `name` equal to `base`, or `base` with a unit address ("memory@0")? */
static bool name_is(const char *name, const char *base)
{
    size_t n = strlen(base);

    return strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

static const char *add_region(struct parser *p, u64 base, u64 size, enum mem_type type,
                              const char *where, u32 offset)
{
    int err = memmap_add(&p->bi->raw, base, size, type);

    if (err)
        return fail("fdt: %s 0x%x: base 0x%lx size 0x%lx: %s", where, offset, base, size,
                    memmap_strerror(err));
    return NULL;
}

/* --- the header and the memory-reservation block ------------------------ */

/* The block [off, off + size) must lie in the blob after the header, aligned. */
static const char *check_block(const struct parser *p, const char *off_name, u32 off,
                               const char *size_name, u32 size, u32 align)
{
    if (off < FDT_HEADER_SIZE || off > p->totalsize)
        return fail("fdt: header: %s 0x%x is outside [0x%x, totalsize 0x%x]", off_name, off,
                    FDT_HEADER_SIZE, p->totalsize);
    if (off % align != 0)
        return fail("fdt: header: %s 0x%x is not %u-byte aligned", off_name, off, align);
    if (size > p->totalsize - off)
        return fail("fdt: header: %s 0x%x + %s 0x%x runs past totalsize 0x%x", off_name, off,
                    size_name, size, p->totalsize);
    return NULL;
}

static const char *read_header(struct parser *p, size_t available)
{
    const u8 *b = p->blob;
    u32 version, off_struct, off_strings, size_struct;
    const char *err;

    if (available < FDT_HEADER_SIZE)
        return fail("fdt: only %zu bytes, less than the %u-byte header", available,
                    FDT_HEADER_SIZE);
    if (be32(b) != FDT_MAGIC)
        return fail("fdt: header: magic 0x%x is not 0x%x", be32(b), FDT_MAGIC);
    /* 5.1: a blob of version v can be read by readers of versions down to
     * last_comp_version; we read versions 16 and 17. */
    version = header_word(b, HDR_VERSION);
    if (version < FDT_FIRST_VERSION)
        return fail("fdt: header: version %u is older than %u", version, FDT_FIRST_VERSION);
    if (header_word(b, HDR_LAST_COMP_VERSION) > FDT_LAST_VERSION)
        return fail("fdt: header: last_comp_version %u is newer than %u",
                    header_word(b, HDR_LAST_COMP_VERSION), FDT_LAST_VERSION);
    p->totalsize = header_word(b, HDR_TOTALSIZE);
    if (p->totalsize < FDT_HEADER_SIZE)
        return fail("fdt: header: totalsize 0x%x is smaller than the header", p->totalsize);
    if (p->totalsize > available)
        return fail("fdt: header: totalsize 0x%x is more than the 0x%zx bytes available",
                    p->totalsize, available);

    p->rsvmap_offset = header_word(b, HDR_OFF_MEM_RSVMAP);
    off_struct = header_word(b, HDR_OFF_DT_STRUCT);
    off_strings = header_word(b, HDR_OFF_DT_STRINGS);
    p->strings_size = header_word(b, HDR_SIZE_DT_STRINGS);
    /* Version 16 has no size_dt_struct: its structure block may run to the end. */
    if (version >= 17)
        size_struct = header_word(b, HDR_SIZE_DT_STRUCT);
    else
        size_struct = off_struct <= p->totalsize ? p->totalsize - off_struct : 0;
    /* 5.6: the memreserve entries are 8-byte aligned, the tokens 4-byte.
     * The memreserve block has no size: read_memreserve() checks each entry. */
    if ((err = check_block(p, "off_mem_rsvmap", p->rsvmap_offset, "", 0, 8)) ||
        (err = check_block(p, "off_dt_struct", off_struct, "size_dt_struct", size_struct, 4)) ||
        (err =
             check_block(p, "off_dt_strings", off_strings, "size_dt_strings", p->strings_size, 1)))
        return err;
    p->structure = b + off_struct;
    p->structure_size = size_struct;
    p->strings = (const char *)b + off_strings;
    return NULL;
}

/* The memory-reservation block (5.3): MEM_RESERVED, up to the (0, 0) entry. */
static const char *read_memreserve(struct parser *p)
{
    for (u32 off = p->rsvmap_offset;; off += FDT_RSV_ENTRY_SIZE) {
        u64 base, size;
        const char *err;

        if (!in_block(off, FDT_RSV_ENTRY_SIZE, p->totalsize))
            return fail("fdt: memreserve entry at offset 0x%x runs past totalsize 0x%x"
                        " (no (0, 0) entry ends the block)",
                        off, p->totalsize);
        base = be64(p->blob + off);
        size = be64(p->blob + off + 8);
        if (base == 0 && size == 0)
            return NULL;
        if ((err = add_region(p, base, size, MEM_RESERVED, "memreserve entry at offset", off)))
            return err;
    }
}

/* --- properties ---------------------------------------------------------- */

/* #address-cells or #size-cells of the root or /reserved-memory: 1 or 2. */
static const char *read_cell_count(u32 *out, const char *name, const u8 *value, u32 len, u32 at)
{
    u32 cells;

    if (len != 4)
        return fail("fdt: %s at struct offset 0x%x: len %u, not 4", name, at, len);
    cells = be32(value);
    if (cells != 1 && cells != 2)
        return fail("fdt: %s at struct offset 0x%x: %u cells; Duet reads 1 or 2", name, at, cells);
    *out = cells;
    return NULL;
}

/* linux,initrd-start or linux,initrd-end: one or two cells. */
static const char *read_initrd_address(u64 *out, bool *seen, const char *name, const u8 *value,
                                       u32 len, u32 at)
{
    if (len != 4 && len != 8)
        return fail("fdt: %s at struct offset 0x%x: len %u, not 4 or 8", name, at, len);
    *out = read_cells(value, len / 4);
    *seen = true;
    return NULL;
}

static const char *copy_bootargs(struct boot_info *bi, const char *args, u32 len, u32 at)
{
    if (strnlen(args, len) == len)
        return fail("fdt: bootargs at struct offset 0x%x: not NUL-terminated within its len %u", at,
                    len);
    if (strlcpy(bi->cmdline, args, sizeof(bi->cmdline)) >= sizeof(bi->cmdline))
        printf("fdt: bootargs cut to %zu bytes (BOOT_CMDLINE_MAX)\n", sizeof(bi->cmdline) - 1);
    return NULL;
}

/* A property that is one cell: phandle, interrupt-parent, #interrupt-cells. */
static const char *read_one_cell(u32 *out, const char *name, const u8 *value, u32 len, u32 at)
{
    if (len != 4)
        return fail("fdt: %s at struct offset 0x%x: len %u, not 4", name, at, len);
    *out = be32(value);
    return NULL;
}

/* Does the string list [value, value + len) hold s (2.3.1, compatible)? */
static bool list_has(const u8 *value, u32 len, const char *s)
{
    u32 i = 0;

    while (i < len) {
        const u8 *nul = memchr(value + i, '\0', len - i);
        u32 n = nul ? (u32)(nul - value) - i : len - i;

        if (nul && n == strlen(s) && memcmp(value + i, s, n) == 0)
            return true;
        i += n + 1;
    }
    return false;
}

static enum device_kind device_of(const u8 *value, u32 len)
{
    if (list_has(value, len, "arm,gic-v3"))
        return DEVICE_GIC_V3;
    if (list_has(value, len, "arm,cortex-a15-gic") || list_has(value, len, "arm,gic-400"))
        return DEVICE_GIC_V2;
    if (list_has(value, len, "arm,armv8-timer"))
        return DEVICE_TIMER;
    if (list_has(value, len, "arm,pl011"))
        return DEVICE_PL011;
    return DEVICE_NONE;
}

/* A child of the root: what may make it a device we drive. */
static const char *read_device_property(struct node *n, const char *name, const u8 *value, u32 len,
                                        u32 at)
{
    if (strcmp(name, "compatible") == 0) {
        n->device = device_of(value, len);
    } else if (strcmp(name, "reg") == 0) {
        n->reg = value;
        n->reg_len = len;
        n->reg_offset = at;
    } else if (strcmp(name, "status") == 0) {
        n->disabled = !prop_is(value, len, "okay") && !prop_is(value, len, "ok");
    } else if (strcmp(name, "interrupts") == 0) {
        n->interrupts = value;
        n->interrupts_len = len;
        n->interrupts_offset = at;
    } else if (strcmp(name, "phandle") == 0) {
        return read_one_cell(&n->phandle, name, value, len, at);
    } else if (strcmp(name, "interrupt-parent") == 0) {
        return read_one_cell(&n->interrupt_parent, name, value, len, at);
    } else if (strcmp(name, "#interrupt-cells") == 0) {
        return read_one_cell(&n->interrupt_cells, name, value, len, at);
    }
    return NULL;
}

/* Note what property `name` says about node n, if it is one we read. */
static const char *read_property(struct parser *p, struct node *n, const char *name,
                                 const u8 *value, u32 len, u32 at)
{
    switch (n->kind) {
    case NODE_ROOT:
    case NODE_RESERVED_MEMORY:
        if (strcmp(name, "#address-cells") == 0)
            return read_cell_count(&n->address_cells, name, value, len, at);
        if (strcmp(name, "#size-cells") == 0)
            return read_cell_count(&n->size_cells, name, value, len, at);
        /* The children of /reserved-memory have addresses in the root's
         * address space only if its ranges is empty, as its binding says. */
        if (n->kind == NODE_ROOT && strcmp(name, "interrupt-parent") == 0)
            return read_one_cell(&n->interrupt_parent, name, value, len, at);
        if (n->kind == NODE_RESERVED_MEMORY && strcmp(name, "ranges") == 0 && len != 0)
            return fail("fdt: ranges at struct offset 0x%x: len %u; Duet reads only an empty"
                        " ranges in /reserved-memory",
                        at, len);
        break;
    case NODE_MEMORY:
    case NODE_RESERVATION:
        if (strcmp(name, "reg") == 0) {
            n->reg = value;
            n->reg_len = len;
            n->reg_offset = at;
        } else if (strcmp(name, "device_type") == 0) {
            n->device_type_memory = prop_is(value, len, "memory");
        } else if (strcmp(name, "status") == 0) {
            n->disabled = !prop_is(value, len, "okay") && !prop_is(value, len, "ok");
        }
        break;
    case NODE_CHOSEN:
        if (strcmp(name, "bootargs") == 0)
            return copy_bootargs(p->bi, (const char *)value, len, at);
        if (strcmp(name, "linux,initrd-start") == 0)
            return read_initrd_address(&n->initrd_start, &n->has_initrd_start, name, value, len,
                                       at);
        if (strcmp(name, "linux,initrd-end") == 0)
            return read_initrd_address(&n->initrd_end, &n->has_initrd_end, name, value, len, at);
        break;
    case NODE_PSCI:
        if (strcmp(name, "method") == 0) {
            if (strnlen((const char *)value, len) == len)
                return fail("fdt: method at struct offset 0x%x: not NUL-terminated within"
                            " its len %u",
                            at, len);
            p->psci_method = (const char *)value;
        }
        break;
    case NODE_DEVICE: return read_device_property(n, name, value, len, at);
    case NODE_OTHER: break;
    }
    return NULL;
}

/* --- nodes --------------------------------------------------------------- */

/* Add each (address, size) pair of n's reg, laid out as its parent says (2.3.6). */
static const char *add_reg(struct parser *p, const struct node *n, const struct node *parent,
                           enum mem_type type)
{
    /* LAB 1 BEGIN: add_reg */
    /* LAB 1 STUB: return fail("lab 1: not implemented: add_reg (reg at struct offset 0x%x)", n->reg_offset); */
    u32 ac = parent->address_cells, sc = parent->size_cells;
    u32 entry = 4 * (ac + sc);
    const char *err;

    if (n->reg_len % entry != 0)
        return fail("fdt: reg at struct offset 0x%x: len %u is not a multiple of %u"
                    " (#address-cells %u, #size-cells %u)",
                    n->reg_offset, n->reg_len, entry, ac, sc);
    for (u32 i = 0; i < n->reg_len; i += entry) {
        u64 base = read_cells(n->reg + i, ac);
        u64 size = read_cells(n->reg + i + sizeof(u32) * ac, sc);

        if ((err = add_region(p, base, size, type, "reg at struct offset", n->reg_offset)))
            return err;
    }
    return NULL;
    /* LAB 1 END */
}

/* reg's first `want` (address, size) pairs, laid out as the parent says. */
static const char *read_reg_pairs(const struct node *n, const struct node *parent, u32 want,
                                  u64 *pairs, const char *what)
{
    u32 ac = parent->address_cells, sc = parent->size_cells, entry = 4 * (ac + sc);

    if (!n->reg || n->reg_len % entry != 0 || n->reg_len / entry < want)
        return fail("fdt: %s at struct offset 0x%x: reg holds %u bytes; Duet needs %u"
                    " (address, size) pairs of %u bytes",
                    what, n->offset, n->reg ? n->reg_len : 0, want, entry);
    for (size_t i = 0; i < want; i++) {
        const u8 *pair = n->reg + (size_t)i * entry;

        pairs[2 * i] = read_cells(pair, ac);
        pairs[2 * i + 1] = read_cells(pair + (size_t)4 * ac, sc);
    }
    return NULL;
}

/* Keep the first timer or UART, its interrupts decoded after the walk. */
static void keep_device(struct parser *p, struct device_seen *d, const struct node *n)
{
    if (d->seen)
        return;
    *d = (struct device_seen){
        .seen = true,
        .interrupt_parent = n->interrupt_parent ? n->interrupt_parent : p->open[0].interrupt_parent,
        .interrupts = n->interrupts,
        .interrupts_len = n->interrupts_len,
        .interrupts_offset = n->interrupts_offset,
    };
}

/* A child of the root has ended: the GIC, the timer or a PL011? */
static const char *finish_device(struct parser *p, const struct node *n, const struct node *parent)
{
    u64 pairs[4] = { 0 };
    const char *err;

    if (n->disabled)
        return NULL;
    switch (n->device) {
    case DEVICE_GIC_V2:
    case DEVICE_GIC_V3:
        if (p->irq->gic_version)
            return NULL;
        if ((err = read_reg_pairs(n, parent, 2, pairs, "GIC")))
            return err;
        if (n->interrupt_cells != 3 && n->interrupt_cells != 4)
            return fail("fdt: GIC at struct offset 0x%x: #interrupt-cells %u; Duet reads 3 or 4",
                        n->offset, n->interrupt_cells);
        p->irq->gic_version = n->device == DEVICE_GIC_V3 ? 3 : 2;
        p->irq->gicd_base = pairs[0];
        p->irq->gicd_size = pairs[1];
        p->irq->gic2_base = pairs[2];
        p->irq->gic2_size = pairs[3];
        p->gic_phandle = n->phandle;
        p->gic_interrupt_cells = n->interrupt_cells;
        break;
    case DEVICE_TIMER: keep_device(p, &p->timer, n); break;
    case DEVICE_PL011:
        if (p->uart.seen)
            return NULL;
        if ((err = read_reg_pairs(n, parent, 1, pairs, "PL011")))
            return err;
        p->irq->uart_base = pairs[0];
        keep_device(p, &p->uart, n);
        break;
    case DEVICE_NONE: break;
    }
    return NULL;
}

/*
 * The INTID of entry `index` of a device's interrupts, which must be of
 * type `type`; *intid stays 0 when the device has no interrupts or they
 * are another controller's.
 */
static const char *decode_interrupt(const struct parser *p, const struct device_seen *d, u32 index,
                                    u32 type, const char *what, u32 *intid)
{
    u32 entry = 4 * p->gic_interrupt_cells, t, num;
    const u8 *spec;

    if (!d->seen || !d->interrupts || !d->interrupt_parent || d->interrupt_parent != p->gic_phandle)
        return NULL;
    if (d->interrupts_len % entry != 0 || d->interrupts_len / entry <= index)
        return fail("fdt: interrupts at struct offset 0x%x: len %u; the %s's is entry %u of"
                    " %u bytes (#interrupt-cells %u)",
                    d->interrupts_offset, d->interrupts_len, what, index, entry,
                    p->gic_interrupt_cells);
    spec = d->interrupts + (size_t)index * entry;
    t = be32(spec);
    num = be32(spec + 4);
    if (t != type)
        return fail("fdt: interrupts at struct offset 0x%x: the %s's type is %u, not %u (%s)",
                    d->interrupts_offset, what, t, type, type == GIC_PPI ? "PPI" : "SPI");
    if (num >= (type == GIC_PPI ? GIC_PPI_COUNT : GIC_SPI_COUNT))
        return fail("fdt: interrupts at struct offset 0x%x: the %s's %s %u is out of range",
                    d->interrupts_offset, what, type == GIC_PPI ? "PPI" : "SPI", num);
    *intid = num + (type == GIC_PPI ? GIC_PPI_BASE : GIC_SPI_BASE);
    return NULL;
}

/* After the walk: the timer's and the UART's lines, if the GIC is theirs. */
static const char *decode_interrupts(struct parser *p)
{
    const char *err;

    if (!p->irq->gic_version)
        return NULL;
    if ((err = decode_interrupt(p, &p->timer, TIMER_VIRTUAL_ENTRY, GIC_PPI, "virtual timer",
                                &p->irq->timer_intid)))
        return err;
    return decode_interrupt(p, &p->uart, 0, GIC_SPI, "PL011", &p->irq->uart_intid);
}

/* Node n, a child of `parent`, has ended: act on what it said. */
static const char *finish_node(struct parser *p, const struct node *n, const struct node *parent)
{
    switch (n->kind) {
    case NODE_MEMORY:
        /* RAM only when the node says so: device_type "memory" (3.4) and
         * not disabled. A memory node elsewhere than under the root is not
         * read: its reg would need its parents' ranges to make sense. */
        if (n->device_type_memory && !n->disabled && n->reg)
            return add_reg(p, n, parent, MEM_USABLE);
        break;
    case NODE_RESERVATION:
        /*
         * A static reservation: reg, in /reserved-memory's own cells.
         * With "no-map" the range must not even be mapped (the CPU may
         * not speculate into it, firmware may own it); without, it may be
         * mapped but not allocated. Both are MEM_RESERVED here: the
         * allocators never hand either out. Once the PMO maps memory from
         * this map, no-map ranges must be left out of it (the PMO issue).
         *
         * A child with only "size" (and maybe "alignment") asks the OS to
         * allocate a region for a driver; Duet has no such drivers, so
         * it is ignored, as is a child that is disabled.
         */
        if (n->reg && !n->disabled)
            return add_reg(p, n, parent, MEM_RESERVED);
        break;
    case NODE_CHOSEN:
        /* The initrd is [start, end) (the Linux chosen binding). */
        if (n->has_initrd_start != n->has_initrd_end)
            return fail("fdt: /chosen at struct offset 0x%x: linux,initrd-%s without"
                        " linux,initrd-%s",
                        n->offset, n->has_initrd_start ? "start" : "end",
                        n->has_initrd_start ? "end" : "start");
        if (n->has_initrd_start && n->initrd_end < n->initrd_start)
            return fail("fdt: /chosen at struct offset 0x%x: linux,initrd-end 0x%lx is below"
                        " linux,initrd-start 0x%lx",
                        n->offset, n->initrd_end, n->initrd_start);
        if (n->has_initrd_start)
            return add_region(p, n->initrd_start, n->initrd_end - n->initrd_start, MEM_MODULE,
                              "/chosen initrd at struct offset", n->offset);
        break;
    case NODE_DEVICE: return finish_device(p, n, parent);
    default: break;
    }
    return NULL;
}

/* What a node called `name`, about to open at depth p->depth, is to us. */
static enum node_kind classify(const struct parser *p, const char *name)
{
    if (p->depth == 0)
        return NODE_ROOT;
    if (p->depth == 1) {
        if (name_is(name, "memory"))
            return NODE_MEMORY;
        if (strcmp(name, "reserved-memory") == 0)
            return NODE_RESERVED_MEMORY;
        if (strcmp(name, "chosen") == 0)
            return NODE_CHOSEN;
        if (name_is(name, "psci"))
            return NODE_PSCI;
        return NODE_DEVICE;
    }
    if (p->depth == 2 && p->open[1].kind == NODE_RESERVED_MEMORY)
        return NODE_RESERVATION;
    return NODE_OTHER;
}

/* --- the structure block -------------------------------------------------- */

/* FDT_BEGIN_NODE at `at`; *off is just after the token. */
static const char *begin_node(struct parser *p, u32 at, u32 *off)
{
    const char *name = (const char *)p->structure + *off;
    const char *nul = memchr(name, '\0', p->structure_size - *off);
    u64 padded = nul ? ALIGN_UP((u64)(nul - name) + 1, 4) : 0;

    if (!nul || !in_block(*off, padded, p->structure_size))
        return fail("fdt: node at struct offset 0x%x: name runs past the structure block"
                    " (size 0x%x)",
                    at, p->structure_size);
    *off += (u32)padded;
    if (p->depth == 0 && p->root_closed)
        return fail("fdt: node at struct offset 0x%x: a second root node", at);
    if (p->depth == FDT_MAX_DEPTH)
        return fail("fdt: node at struct offset 0x%x: nested deeper than %d", at, FDT_MAX_DEPTH);
    if (p->depth > 0)
        p->had_child |= 1ull << (p->depth - 1);
    p->had_child &= ~(1ull << p->depth);
    if (p->depth < FDT_KEPT_DEPTH)
        p->open[p->depth] = (struct node){
            .kind = classify(p, name),
            .offset = at,
            .address_cells = FDT_DEFAULT_ADDRESS_CELLS,
            .size_cells = FDT_DEFAULT_SIZE_CELLS,
        };
    p->depth++;
    return NULL;
}

/* FDT_END_NODE at `at`. */
static const char *end_node(struct parser *p, u32 at)
{
    const char *err = NULL;

    if (p->depth == 0)
        return fail("fdt: FDT_END_NODE at struct offset 0x%x closes no node", at);
    p->depth--;
    if (p->depth > 0 && p->depth < FDT_KEPT_DEPTH)
        err = finish_node(p, &p->open[p->depth], &p->open[p->depth - 1]);
    if (p->depth == 0)
        p->root_closed = true;
    return err;
}

/* FDT_PROP at `at`; *off is just after the token. */
static const char *property(struct parser *p, u32 at, u32 *off)
{
    u32 len, nameoff;
    u64 padded;
    const u8 *value;
    const char *name;

    if (!in_block(*off, 8, p->structure_size))
        return fail("fdt: property at struct offset 0x%x: len and nameoff run past the"
                    " structure block (size 0x%x)",
                    at, p->structure_size);
    len = be32(p->structure + *off);
    nameoff = be32(p->structure + *off + 4);
    *off += 8;
    padded = ALIGN_UP((u64)len, 4);
    if (!in_block(*off, padded, p->structure_size))
        return fail("fdt: property at struct offset 0x%x: len 0x%x runs past the structure"
                    " block (size 0x%x)",
                    at, len, p->structure_size);
    value = p->structure + *off;
    *off += (u32)padded;
    if (nameoff >= p->strings_size)
        return fail("fdt: property at struct offset 0x%x: nameoff 0x%x is outside the strings"
                    " block (size 0x%x)",
                    at, nameoff, p->strings_size);
    name = p->strings + nameoff;
    if (!memchr(name, '\0', p->strings_size - nameoff))
        return fail("fdt: property at struct offset 0x%x: its name at nameoff 0x%x is not"
                    " NUL-terminated inside the strings block (size 0x%x)",
                    at, nameoff, p->strings_size);
    if (p->depth == 0)
        return fail("fdt: property %s at struct offset 0x%x: outside any node", name, at);
    /* 5.4.2: a node's properties come before its children. */
    if (p->had_child & 1ull << (p->depth - 1))
        return fail("fdt: property %s at struct offset 0x%x: after a child node", name, at);
    if (p->depth > FDT_KEPT_DEPTH)
        return NULL;
    return read_property(p, &p->open[p->depth - 1], name, value, len, at);
}

/* Walk the structure block token by token, up to FDT_END (5.4). */
static const char *walk_structure(struct parser *p)
{
    u32 off = 0;

    for (;;) {
        u32 at = off, token;
        const char *err = NULL;

        if (!in_block(off, 4, p->structure_size))
            return fail("fdt: struct offset 0x%x: the structure block (size 0x%x) ends"
                        " without FDT_END",
                        off, p->structure_size);
        token = be32(p->structure + off);
        off += 4;
        switch (token) {
        case FDT_BEGIN_NODE: err = begin_node(p, at, &off); break;
        case FDT_END_NODE: err = end_node(p, at); break;
        case FDT_PROP: err = property(p, at, &off); break;
        case FDT_NOP: break;
        case FDT_END:
            if (p->depth != 0)
                return fail("fdt: FDT_END at struct offset 0x%x: %d nodes still open", at,
                            p->depth);
            if (!p->root_closed)
                return fail("fdt: FDT_END at struct offset 0x%x: no root node", at);
            /* Done. What follows is not read: in a version-16 blob, whose
             * structure block we take to run to the end, the strings. */
            return NULL;
        default: return fail("fdt: struct offset 0x%x: unknown token 0x%x", at, token);
        }
        if (err)
            return err;
    }
}

const char *fdt_parse(const void *blob, size_t available, paddr_t blob_pa, struct boot_info *bi,
                      const char **psci_method, struct fdt_irq *irq)
{
    struct parser p = { .blob = blob, .bi = bi, .irq = irq };
    const char *err;
    int merr;

    *psci_method = NULL;
    *irq = (struct fdt_irq){ 0 };
    if ((err = read_header(&p, available)))
        return err;
    bi->fw_info = blob_pa;
    bi->fw_info_size = p.totalsize;
    if ((merr = memmap_add(&bi->raw, blob_pa, p.totalsize, MEM_FIRMWARE_INFO)))
        return fail("fdt: the DTB itself, at PA 0x%lx size 0x%x: %s", blob_pa, p.totalsize,
                    memmap_strerror(merr));
    if ((err = read_memreserve(&p)) || (err = walk_structure(&p)) ||
        (err = decode_interrupts(&p))) {
        *irq = (struct fdt_irq){ 0 };
        return err;
    }
    *psci_method = p.psci_method;
    return NULL;
}
