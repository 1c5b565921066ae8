/*
 * Host tests of arch/x86_64/acpi.c, the RSDP/RSDT/XSDT/MADT parser.
 *
 * Each test lays out "physical memory" as firmware would, in a buffer,
 * and the parser reads it through a map function that gives a heap copy
 * of exactly the bytes below `size` (AddressSanitizer sees a read past
 * them) and refuses anything beyond. Malformed tables must be refused
 * with exactly the message written next to them, and leave the PC
 * defaults; well-formed ones must give exactly the routes QEMU's do.
 */
#include <stdlib.h>

#include "host.h"

#include <duet/compiler.h>
#include <duet/types.h>

#include "printed.h"
#include "../../arch/x86_64/acpi.c"
#include "phys_view.h"
#undef printf

#define MEM      0x100000 /* 1 MiB: the BIOS area ends there */
#define RSDP_PA  0xf0000
#define RSDT_PA  0x1000
#define FACP_PA  0x2000
#define MADT_PA  0x3000
#define XSDT_PA  0x4000
#define MADT2_PA 0x5000

static u8 mem[MEM];
static struct acpi_irq_info info;

static void fix_checksum(struct acpi_sdt_header *h)
{
    h->checksum = 0;
    h->checksum = (u8)-sum(h, h->length);
}

static struct acpi_sdt_header *table(u64 pa, const char *sig, u32 length)
{
    struct acpi_sdt_header *h = (void *)(mem + pa);

    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = 1;
    return h;
}

static void rsdp(u8 revision, u32 rsdt, u64 xsdt)
{
    struct acpi_rsdp *r = (void *)(mem + RSDP_PA);

    memset(r, 0, sizeof(*r));
    memcpy(r->signature, "RSD PTR ", 8);
    memcpy(r->oem_id, "BOCHS ", 6);
    r->revision = revision;
    r->rsdt_address = rsdt;
    r->checksum = (u8)-sum(r, ACPI_RSDP_V1_SIZE);
    if (revision >= 2) {
        r->length = sizeof(*r);
        r->xsdt_address = xsdt;
        r->extended_checksum = (u8)-sum(r, sizeof(*r));
    }
}

/* Appends an entry to the MADT at MADT_PA, keeping its length and checksum. */
static void madt_add(const void *entry, size_t len)
{
    struct acpi_madt *m = (void *)(mem + MADT_PA);

    memcpy((u8 *)m + m->header.length, entry, len);
    m->header.length += (u32)len;
    fix_checksum(&m->header);
}

static void io_apic(u8 id, u32 address, u32 gsi_base)
{
    struct madt_io_apic e = { { MADT_IO_APIC, sizeof(e) }, id, 0, address, gsi_base };

    madt_add(&e, sizeof(e));
}

static void source_override(u8 bus, u8 source, u32 gsi, u16 flags)
{
    struct madt_source_override e = {
        { MADT_SOURCE_OVERRIDE, sizeof(e) }, bus, source, gsi, flags
    };

    madt_add(&e, sizeof(e));
}

/* What QEMU 7.2 `-M pc` builds for one CPU (hw/i386/acpi-common.c): an
 * RSDP of revision 0, an RSDT listing a FACP and the MADT, and in the
 * MADT one processor, one I/O APIC, the overrides of IRQ 0 (to GSI 2) and
 * of the PCI interrupts 5, 9, 10, 11 (level, active high), and a LINT1 NMI. */
static void lay_out_qemu(void)
{
    struct acpi_sdt_header *rsdt;
    struct acpi_madt *m;
    static const u8 lapic[8] = { MADT_LOCAL_APIC, 8, 0, 0, 1, 0, 0, 0 };
    static const u8 nmi[6] = { 4, 6, 0xff, 0, 0, 1 };

    memset(mem, 0, sizeof(mem));
    rsdp(0, RSDT_PA, 0);
    rsdt = table(RSDT_PA, "RSDT", sizeof(*rsdt) + 8);
    ((u32 *)(rsdt + 1))[0] = FACP_PA;
    ((u32 *)(rsdt + 1))[1] = MADT_PA;
    fix_checksum(rsdt);
    fix_checksum(table(FACP_PA, "FACP", sizeof(struct acpi_sdt_header)));
    m = (void *)table(MADT_PA, "APIC", sizeof(struct acpi_madt));
    m->lapic_address = PC_LAPIC_ADDRESS;
    m->flags = 1;
    madt_add(lapic, sizeof(lapic));
    io_apic(0, PC_IOAPIC_ADDRESS, 0);
    source_override(0, 0, 2, 0);
    source_override(0, 5, 5, 0xd);
    source_override(0, 9, 9, 0xd);
    source_override(0, 10, 10, 0xd);
    source_override(0, 11, 11, 0xd);
    madt_add(nmi, sizeof(nmi));
}

static void rsdp_fix_checksum(void)
{
    struct acpi_rsdp *r = (void *)(mem + RSDP_PA);

    r->checksum = 0;
    r->checksum = (u8)-sum(r, ACPI_RSDP_V1_SIZE);
}

static struct acpi_madt *madt(void)
{
    return (void *)(mem + MADT_PA);
}

/* Parse the first `size` bytes of mem, from a heap copy of exactly those. */
static const char *parse_first(size_t size, u64 rsdp_pa)
{
    u8 *copy = malloc(size ? size : 1);
    struct view v = { copy, size };
    const char *err;

    memcpy(copy, mem, size);
    memset(&info, 0xa5, sizeof(info));
    err = acpi_parse(rsdp_pa, map, &v, &info);
    free(copy);
    return err;
}

static const char *parse(void)
{
    return parse_first(MEM, RSDP_PA);
}

static void check_pc_defaults(void)
{
    CHECK(!info.from_acpi);
    CHECK_EQ(info.lapic_address, PC_LAPIC_ADDRESS);
    CHECK_EQ(info.ioapics, 1);
    CHECK_EQ(info.ioapic[0].address, PC_IOAPIC_ADDRESS);
    CHECK_EQ(info.ioapic[0].gsi_base, 0);
    for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
        CHECK(info.isa[i].gsi == i && !info.isa[i].level && !info.isa[i].active_low);
}

#define EXPECT_REFUSED(want)                                                                     \
    do {                                                                                         \
        const char *_err = parse();                                                              \
        CHECK_MSG(_err &&strcmp(_err, want) == 0, "got %s\n    want %s", _err ? _err : "(none)", \
                  want);                                                                         \
        check_pc_defaults();                                                                     \
    } while (0)

static void parses_what_qemu_gives(void)
{
    lay_out_qemu();
    CHECK(parse() == NULL);
    CHECK(info.from_acpi);
    CHECK(info.pcat_compat);
    CHECK_EQ(info.cpus, 1);
    CHECK_EQ(info.lapic_address, 0xfee00000);
    CHECK_EQ(info.ioapics, 1);
    CHECK_EQ(info.ioapic[0].address, 0xfec00000);
    CHECK_EQ(info.ioapic[0].gsi_base, 0);
    CHECK_EQ(info.isa[0].gsi, 2);
    CHECK(!info.isa[0].level && !info.isa[0].active_low);
    CHECK_EQ(info.isa[4].gsi, 4); /* COM1: no override, ISA's edge, active high */
    CHECK(!info.isa[4].level && !info.isa[4].active_low);
    CHECK_EQ(info.isa[9].gsi, 9);
    CHECK(info.isa[9].level && !info.isa[9].active_low);
}

static void takes_polarity_and_trigger_from_an_override(void)
{
    lay_out_qemu();
    source_override(0, 4, 20, MPS_POLARITY_ACTIVE_LOW | MPS_TRIGGER_LEVEL);
    CHECK(parse() == NULL);
    CHECK_EQ(info.isa[4].gsi, 20);
    CHECK(info.isa[4].level && info.isa[4].active_low);
}

static void follows_the_xsdt_of_a_revision_2_rsdp(void)
{
    struct acpi_sdt_header *xsdt;
    u64 entry = MADT2_PA;

    lay_out_qemu();
    /* A second MADT, only the XSDT lists; the RSDT's would say 0xfec00000. */
    memcpy(mem + MADT2_PA, mem + MADT_PA, madt()->header.length);
    ((struct madt_io_apic *)(mem + MADT2_PA + sizeof(struct acpi_madt) + 8))->address = 0xfec01000;
    fix_checksum((void *)(mem + MADT2_PA));
    xsdt = table(XSDT_PA, "XSDT", sizeof(*xsdt) + 8);
    memcpy(xsdt + 1, &entry, 8);
    fix_checksum(xsdt);
    rsdp(2, RSDT_PA, XSDT_PA);
    CHECK(parse() == NULL);
    CHECK_EQ(info.ioapic[0].address, 0xfec01000);
}

static void takes_the_local_apic_address_override(void)
{
    struct madt_lapic_override e = { { MADT_LOCAL_APIC_OVERRIDE, sizeof(e) }, 0, 0xfee10000 };

    lay_out_qemu();
    madt_add(&e, sizeof(e));
    CHECK(parse() == NULL);
    CHECK_EQ(info.lapic_address, 0xfee10000);
}

static void counts_only_usable_processors(void)
{
    static const u8 off[8] = { MADT_LOCAL_APIC, 8, 1, 1, 0, 0, 0, 0 };
    static const u8 x2[16] = { MADT_LOCAL_X2APIC, 16, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0 };

    lay_out_qemu();
    madt_add(off, sizeof(off));
    madt_add(x2, sizeof(x2));
    CHECK(parse() == NULL);
    CHECK_EQ(info.cpus, 2);
}

static void refuses_a_bad_rsdp(void)
{
    lay_out_qemu();
    mem[RSDP_PA + 9] ^= 1; /* an OEM byte: the checksum no longer holds */
    EXPECT_REFUSED("acpi: no valid RSDP at PA 0xf0000");

    lay_out_qemu();
    mem[RSDP_PA] = 'r';
    rsdp_fix_checksum();
    EXPECT_REFUSED("acpi: no valid RSDP at PA 0xf0000");

    lay_out_qemu();
    CHECK_STR(parse_first(MEM, MEM - 8), "acpi: no valid RSDP at PA 0xffff8");
    check_pc_defaults();
}

static void refuses_each_malformed_root_and_madt(void)
{
    lay_out_qemu();
    memcpy(mem + RSDT_PA, "XSDT", 4);
    EXPECT_REFUSED("acpi: the table at PA 0x1000 is not RSDT");

    lay_out_qemu();
    ((struct acpi_sdt_header *)(mem + RSDT_PA))->length = 8;
    EXPECT_REFUSED("acpi: RSDT at PA 0x1000: length 0x8 outside [0x24, 0x100000]");

    lay_out_qemu();
    ((struct acpi_sdt_header *)(mem + RSDT_PA))->length = 0xfffff;
    EXPECT_REFUSED("acpi: RSDT at PA 0x1000: its 0xfffff bytes cannot be read");

    lay_out_qemu();
    mem[RSDT_PA + 10] ^= 1;
    EXPECT_REFUSED("acpi: RSDT at PA 0x1000: bad checksum");

    lay_out_qemu();
    memcpy(mem + MADT_PA, "APIX", 4);
    EXPECT_REFUSED("acpi: no MADT (\"APIC\") among the RSDT's 2 entries");

    lay_out_qemu();
    mem[MADT_PA + 40] ^= 1;
    EXPECT_REFUSED("acpi: APIC at PA 0x3000: bad checksum");

    lay_out_qemu();
    madt_add((const u8[]){ 0x7f, 1 }, 2);
    EXPECT_REFUSED("acpi: MADT entry at 0x78 (type 127): length 1, less than 2");

    lay_out_qemu();
    madt_add((const u8[]){ MADT_IO_APIC, 11, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0 }, 11);
    EXPECT_REFUSED("acpi: MADT entry at 0x78 (type 1): length 11, less than 12");

    lay_out_qemu();
    madt_add((const u8[]){ 0x7f, 8, 0, 0 }, 4);
    EXPECT_REFUSED("acpi: MADT entry at 0x78 (type 127): length 8 runs past the table's 0x7c");

    lay_out_qemu();
    madt_add((const u8[]){ 0x7f }, 1);
    EXPECT_REFUSED("acpi: MADT: 0x1 bytes after the last entry");

    lay_out_qemu();
    io_apic(1, 0, 24);
    EXPECT_REFUSED("acpi: MADT entry at 0x78: I/O APIC address 0x0");

    lay_out_qemu();
    for (int i = 0; i < ACPI_MAX_IOAPICS; i++)
        io_apic((u8)(i + 1), 0xfec01000 + 0x1000 * (u32)i, 24 * (u32)(i + 1));
    EXPECT_REFUSED("acpi: MADT entry at 0x9c: more than 4 I/O APICs");

    lay_out_qemu();
    source_override(1, 4, 4, 0);
    EXPECT_REFUSED("acpi: MADT entry at 0x78: override for bus 1, not ISA");

    lay_out_qemu();
    source_override(0, 16, 16, 0);
    EXPECT_REFUSED("acpi: MADT entry at 0x78: override for ISA IRQ 16");

    lay_out_qemu();
    madt()->lapic_address = 0xfee00800;
    fix_checksum(&madt()->header);
    EXPECT_REFUSED("acpi: MADT: local APIC address 0xfee00800");

    lay_out_qemu();
    mem[MADT_PA + sizeof(struct acpi_madt) + 8] = 0x7f; /* the I/O APIC entry, now unknown */
    fix_checksum(&madt()->header);
    EXPECT_REFUSED("acpi: MADT: no I/O APIC");
}

static void refuses_a_bad_revision_2_rsdp(void)
{
    struct acpi_rsdp *r = (void *)(mem + RSDP_PA);

    lay_out_qemu();
    rsdp(2, RSDT_PA, XSDT_PA);
    r->length = 20;
    r->extended_checksum = 0;
    r->extended_checksum = (u8)-sum(r, sizeof(*r));
    EXPECT_REFUSED("acpi: RSDP at PA 0xf0000: length 20 or extended checksum wrong");

    lay_out_qemu();
    rsdp(2, RSDT_PA, XSDT_PA);
    r->extended_checksum ^= 1;
    EXPECT_REFUSED("acpi: RSDP at PA 0xf0000: length 36 or extended checksum wrong");

    lay_out_qemu();
    rsdp(2, RSDT_PA, 0xfff00000); /* an XSDT past memory */
    EXPECT_REFUSED("acpi: XSDT at PA 0xfff00000 cannot be read");
}

/* An RSDP at the very end of what may be read: its v2 part is not there. */
static void refuses_an_rsdp_cut_short(void)
{
    lay_out_qemu();
    rsdp(2, RSDT_PA, XSDT_PA);
    CHECK_STR(parse_first(RSDP_PA + 30, RSDP_PA),
              "acpi: RSDP revision 2 at PA 0xf0000: its 36 bytes cannot be read");
    check_pc_defaults();
}

static u64 find_first(size_t size)
{
    u8 *copy = malloc(size);
    struct view v = { copy, size };
    u64 pa;

    memcpy(copy, mem, size);
    pa = acpi_find_rsdp(map, &v);
    free(copy);
    return pa;
}

static void finds_the_rsdp_where_the_bios_leaves_it(void)
{
    lay_out_qemu();
    CHECK_EQ(find_first(MEM), RSDP_PA);
    /* In the EBDA's first KiB, found first. */
    memcpy(mem + 0x9fc10, mem + RSDP_PA, ACPI_RSDP_V1_SIZE);
    mem[0x40e] = 0xc0; /* segment 0x9fc0 */
    mem[0x40f] = 0x9f;
    CHECK_EQ(find_first(MEM), 0x9fc10);
    /* Past the first KiB of the EBDA, or off a 16-byte boundary: not looked at. */
    memset(mem + 0x9fc10, 0, ACPI_RSDP_V1_SIZE);
    memcpy(mem + 0x9fc10 + 1024, mem + RSDP_PA, ACPI_RSDP_V1_SIZE);
    memcpy(mem + 0xe0008, mem + RSDP_PA, ACPI_RSDP_V1_SIZE);
    CHECK_EQ(find_first(MEM), RSDP_PA);
    /* A signature with a bad checksum is skipped. */
    mem[RSDP_PA + 8] ^= 1;
    memcpy(mem + 0xfffe0, mem + 0x9fc10 + 1024, ACPI_RSDP_V1_SIZE);
    CHECK_EQ(find_first(MEM), 0xfffe0);
    /* Memory that ends early is not read past. */
    CHECK_EQ(find_first(0xf8000), 0);
}

/* Every truncation of good tables is refused, never read past. */
static void refuses_every_truncated_layout(void)
{
    const u64 low_rsdp = 0x100;
    size_t end;

    lay_out_qemu();
    memcpy(mem + low_rsdp, mem + RSDP_PA, ACPI_RSDP_V1_SIZE);
    end = MADT_PA + madt()->header.length;
    for (size_t size = 0; size < end; size++)
        CHECK_MSG(parse_first(size, low_rsdp) != NULL, "parsed with only 0x%zx bytes", size);
    CHECK(parse_first(end, low_rsdp) == NULL);
}

HOST_TESTS(parses_what_qemu_gives, takes_polarity_and_trigger_from_an_override,
           follows_the_xsdt_of_a_revision_2_rsdp, takes_the_local_apic_address_override,
           counts_only_usable_processors, refuses_a_bad_rsdp, refuses_each_malformed_root_and_madt,
           refuses_a_bad_revision_2_rsdp, refuses_an_rsdp_cut_short,
           finds_the_rsdp_where_the_bios_leaves_it, refuses_every_truncated_layout)
