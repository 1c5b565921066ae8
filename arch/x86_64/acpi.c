/*
 * The MADT and the way to it (acpi.h). Each table is mapped twice: its
 * header first, to learn its length, then whole, so nothing is read that
 * was not mapped for reading and checked.
 */
#include <duet/printk.h>
#include <duet/string.h>
#include "acpi.h"

#define EBDA_SEGMENT_PA 0x40e /* the BIOS data area's word holding the EBDA's segment */
#define EBDA_SCAN_BYTES 1024
#define BIOS_ROM_START  0xe0000
#define BIOS_ROM_END    0x100000
#define RSDP_ALIGN      16
/* No real RSDT, XSDT or MADT comes near this; a larger length is corrupt. */
#define ACPI_TABLE_MAX  0x100000u

static char message[160];

static const char *fail(const char *fmt, ...) __printf(1, 2);
static const char *fail(const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(message, sizeof(message), "acpi: ");

    va_start(ap, fmt);
    vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
    va_end(ap);
    return message;
}

static u8 sum(const void *p, u64 len)
{
    const u8 *b = p;
    u8 s = 0;

    while (len--)
        s += *b++;
    return s;
}

void acpi_pc_defaults(struct acpi_irq_info *out)
{
    *out = (struct acpi_irq_info){
        .lapic_address = PC_LAPIC_ADDRESS,
        .ioapics = 1,
        .ioapic = { { .id = 0, .address = PC_IOAPIC_ADDRESS, .gsi_base = 0 } },
        .cpus = 1,
        .pcat_compat = true,
    };
    for (u32 i = 0; i < ACPI_ISA_IRQS; i++)
        out->isa[i] = (struct acpi_isa_route){ .gsi = i };
}

/* A v1 RSDP at pa: the signature and the checksum of its first 20 bytes. */
static bool rsdp_at(acpi_map_fn *map, void *ctx, u64 pa)
{
    const struct acpi_rsdp *r = map(pa, ACPI_RSDP_V1_SIZE, ctx);

    return r && memcmp(r->signature, "RSD PTR ", 8) == 0 && sum(r, ACPI_RSDP_V1_SIZE) == 0;
}

static u64 scan(acpi_map_fn *map, void *ctx, u64 start, u64 end)
{
    for (u64 pa = ALIGN_UP(start, (u64)RSDP_ALIGN); pa + ACPI_RSDP_V1_SIZE <= end; pa += RSDP_ALIGN)
        if (rsdp_at(map, ctx, pa))
            return pa;
    return 0;
}

u64 acpi_find_rsdp(acpi_map_fn *map, void *ctx)
{
    const u16 *segment = map(EBDA_SEGMENT_PA, sizeof(u16), ctx);
    u64 pa = 0;

    if (segment && *segment) {
        u64 ebda = (u64)*segment << 4;
        pa = scan(map, ctx, ebda, ebda + EBDA_SCAN_BYTES);
    }
    return pa ? pa : scan(map, ctx, BIOS_ROM_START, BIOS_ROM_END);
}

/*
 * The table at pa, with signature `sig`, mapped whole once its header
 * says how long it is and checked: length at least `min`, checksum zero.
 * NULL, with *err set, when it is not such a table.
 */
static const void *map_table(acpi_map_fn *map, void *ctx, u64 pa, const char *sig, u32 min,
                             const char **err)
{
    const struct acpi_sdt_header *h = map(pa, sizeof(*h), ctx);
    u32 len;

    if (!h) {
        *err = fail("%s at PA 0x%llx cannot be read", sig, (unsigned long long)pa);
        return NULL;
    }
    if (memcmp(h->signature, sig, 4) != 0) {
        *err = fail("the table at PA 0x%llx is not %s", (unsigned long long)pa, sig);
        return NULL;
    }
    len = h->length;
    if (len < min || len > ACPI_TABLE_MAX) {
        *err = fail("%s at PA 0x%llx: length 0x%x outside [0x%x, 0x%x]", sig,
                    (unsigned long long)pa, len, min, ACPI_TABLE_MAX);
        return NULL;
    }
    h = map(pa, len, ctx);
    if (!h) {
        *err = fail("%s at PA 0x%llx: its 0x%x bytes cannot be read", sig, (unsigned long long)pa,
                    len);
        return NULL;
    }
    /* Mapped again: the length must not have changed under us. */
    if (h->length != len || sum(h, len) != 0) {
        *err = fail("%s at PA 0x%llx: bad checksum", sig, (unsigned long long)pa);
        return NULL;
    }
    return h;
}

/* The root table's entries, 4 (RSDT) or 8 (XSDT) bytes each: the first MADT. */
static const char *find_madt(acpi_map_fn *map, void *ctx, u64 root_pa, bool xsdt, u64 *madt_pa)
{
    const char *sig = xsdt ? "XSDT" : "RSDT";
    const unsigned entry = xsdt ? 8 : 4;
    const char *err = NULL;
    const struct acpi_sdt_header *root =
        map_table(map, ctx, root_pa, sig, sizeof(struct acpi_sdt_header), &err);
    u32 n;

    if (!root)
        return err;
    n = (root->length - (u32)sizeof(*root)) / entry;
    for (u32 i = 0; i < n; i++) {
        const u8 *p = (const u8 *)(root + 1) + (u64)i * entry;
        u64 pa = 0;
        const struct acpi_sdt_header *h;

        memcpy(&pa, p, entry); /* little-endian; entries are not aligned */
        h = map(pa, sizeof(*h), ctx);
        if (h && memcmp(h->signature, "APIC", 4) == 0) {
            *madt_pa = pa;
            return NULL;
        }
    }
    return fail("no MADT (\"APIC\") among the %s's %u entries", sig, n);
}

static const char *add_ioapic(struct acpi_irq_info *out, const struct madt_io_apic *e, u32 off)
{
    if (out->ioapics == ACPI_MAX_IOAPICS)
        return fail("MADT entry at 0x%x: more than %u I/O APICs", off, ACPI_MAX_IOAPICS);
    if (e->address == 0 || !IS_ALIGNED(e->address, 16u))
        return fail("MADT entry at 0x%x: I/O APIC address 0x%x", off, e->address);
    out->ioapic[out->ioapics++] =
        (struct acpi_ioapic){ .id = e->id, .address = e->address, .gsi_base = e->gsi_base };
    return NULL;
}

static const char *add_override(struct acpi_irq_info *out, const struct madt_source_override *e,
                                u32 off)
{
    struct acpi_isa_route *r;

    if (e->bus != 0)
        return fail("MADT entry at 0x%x: override for bus %u, not ISA", off, e->bus);
    if (e->source >= ACPI_ISA_IRQS)
        return fail("MADT entry at 0x%x: override for ISA IRQ %u", off, e->source);
    r = &out->isa[e->source];
    r->gsi = e->gsi;
    /* "Conforms to the bus" (0) is ISA's: active high, edge. */
    r->active_low = (e->flags & MPS_POLARITY_MASK) == MPS_POLARITY_ACTIVE_LOW;
    r->level = (e->flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL;
    return NULL;
}

/* The least length of an entry of this type: the bytes read of it. */
static u8 entry_size(u8 type)
{
    switch (type) {
    case MADT_IO_APIC: return sizeof(struct madt_io_apic);
    case MADT_SOURCE_OVERRIDE: return sizeof(struct madt_source_override);
    case MADT_LOCAL_APIC_OVERRIDE: return sizeof(struct madt_lapic_override);
    case MADT_LOCAL_APIC: return 8;
    case MADT_LOCAL_X2APIC: return 16;
    default: return sizeof(struct acpi_madt_entry);
    }
}

/* Processor entries: the flags word's bit 0 (enabled) or 1 (online capable). */
static bool cpu_usable(const u8 *e, u8 type)
{
    u32 flags;

    memcpy(&flags, e + (type == MADT_LOCAL_APIC ? 4 : 8), sizeof(flags));
    return flags & 3;
}

static const char *parse_madt(const struct acpi_madt *m, struct acpi_irq_info *out)
{
    const u8 *base = (const u8 *)m;
    const char *err = NULL;
    u32 off;

    out->lapic_address = m->lapic_address;
    out->pcat_compat = m->flags & 1;
    /* Invariant: off + 2 <= length, so the entry's own header is in the table. */
    for (off = sizeof(*m); off + sizeof(struct acpi_madt_entry) <= m->header.length;) {
        const struct acpi_madt_entry *e = (const void *)(base + off);

        if (e->length < entry_size(e->type))
            return fail("MADT entry at 0x%x (type %u): length %u, less than %u", off, e->type,
                        e->length, entry_size(e->type));
        if (e->length > m->header.length - off)
            return fail("MADT entry at 0x%x (type %u): length %u runs past the table's 0x%x", off,
                        e->type, e->length, m->header.length);
        switch (e->type) {
        case MADT_LOCAL_APIC:
        case MADT_LOCAL_X2APIC: out->cpus += cpu_usable((const u8 *)e, e->type); break;
        case MADT_IO_APIC: err = add_ioapic(out, (const void *)e, off); break;
        case MADT_SOURCE_OVERRIDE: err = add_override(out, (const void *)e, off); break;
        case MADT_LOCAL_APIC_OVERRIDE:
            out->lapic_address = ((const struct madt_lapic_override *)e)->address;
            break;
        default: break;
        }
        if (err)
            return err;
        off += e->length;
    }
    if (off != m->header.length)
        return fail("MADT: 0x%x bytes after the last entry", m->header.length - off);
    if (out->ioapics == 0)
        return fail("MADT: no I/O APIC");
    if (out->lapic_address == 0 || !IS_ALIGNED(out->lapic_address, 4096u))
        return fail("MADT: local APIC address 0x%llx", (unsigned long long)out->lapic_address);
    return NULL;
}

const char *acpi_parse(u64 rsdp_pa, acpi_map_fn *map, void *ctx, struct acpi_irq_info *out)
{
    const struct acpi_rsdp *r;
    const struct acpi_madt *madt = NULL;
    u64 root_pa, madt_pa = 0;
    bool xsdt = false;
    const char *err;

    acpi_pc_defaults(out);
    if (!rsdp_at(map, ctx, rsdp_pa))
        return fail("no valid RSDP at PA 0x%llx", (unsigned long long)rsdp_pa);
    r = map(rsdp_pa, ACPI_RSDP_V1_SIZE, ctx);
    root_pa = r->rsdt_address;
    if (r->revision >= 2) {
        r = map(rsdp_pa, sizeof(*r), ctx);
        if (!r)
            return fail("RSDP revision 2 at PA 0x%llx: its 36 bytes cannot be read",
                        (unsigned long long)rsdp_pa);
        /* 5.2.5.3: the extended checksum covers the whole structure. */
        if (r->length != sizeof(*r) || sum(r, sizeof(*r)) != 0)
            return fail("RSDP at PA 0x%llx: length %u or extended checksum wrong",
                        (unsigned long long)rsdp_pa, r->length);
        /* 5.2.5.3: an ACPI 2.0+ OS uses the XSDT when there is one. */
        if (r->xsdt_address) {
            root_pa = r->xsdt_address;
            xsdt = true;
        }
    }
    err = find_madt(map, ctx, root_pa, xsdt, &madt_pa);
    if (!err)
        madt = map_table(map, ctx, madt_pa, "APIC", sizeof(*madt), &err);
    if (madt) {
        out->cpus = 0;
        out->ioapics = 0;
        err = parse_madt(madt, out);
    }
    if (err) {
        acpi_pc_defaults(out);
        return err;
    }
    if (out->cpus == 0)
        out->cpus = 1; /* the one running this */
    out->from_acpi = true;
    return NULL;
}
