/*
 * The little of ACPI the interrupt controllers need: find the RSDP, follow
 * it to the XSDT (or the RSDT), find the MADT there, and read from it the
 * local APIC's address, the I/O APICs and the ISA interrupt source
 * overrides. Section numbers are those of the ACPI Specification 6.5,
 * chapter 5.2 "ACPI System Description Tables". All fields little-endian.
 *
 * Firmware tables are input like any other: every pointer is mapped for
 * exactly the bytes about to be read (the caller's map function refuses
 * what it cannot give), every checksum and length is checked before a
 * field is used, and an error names the table and what is wrong with it.
 */
#ifndef X86_64_ACPI_H
#define X86_64_ACPI_H

#include <duet/compiler.h>
#include <duet/types.h>

/* 5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    u8 checksum;       /* the first 20 bytes sum to 0 */
    char oem_id[6];
    u8 revision; /* 0: ACPI 1.0, only the RSDT; 2 and later: the fields below */
    u32 rsdt_address;
    u32 length; /* of the whole structure: 36 */
    u64 xsdt_address;
    u8 extended_checksum; /* all `length` bytes sum to 0 */
    u8 reserved[3];
} __packed;

#define ACPI_RSDP_V1_SIZE 20u

/* 5.2.6 "System Description Table Header". */
struct acpi_sdt_header {
    char signature[4];
    u32 length; /* the whole table, this header included */
    u8 revision;
    u8 checksum; /* all `length` bytes sum to 0 */
    char oem_id[6];
    char oem_table_id[8];
    u32 oem_revision;
    u32 creator_id;
    u32 creator_revision;
} __packed;

/* 5.2.12 "Multiple APIC Description Table (MADT)": the header, then entries. */
struct acpi_madt {
    struct acpi_sdt_header header;
    u32 lapic_address;
    u32 flags; /* bit 0, PCAT_COMPAT: the machine also has 8259 PICs */
} __packed;

struct acpi_madt_entry {
    u8 type;
    u8 length; /* this entry, these two bytes included */
} __packed;

/* MADT entry types (5.2.12, table 5.21) and the fields Duet reads. */
#define MADT_LOCAL_APIC          0 /* 5.2.12.2 */
#define MADT_IO_APIC             1 /* 5.2.12.3 */
#define MADT_SOURCE_OVERRIDE     2 /* 5.2.12.5 */
#define MADT_LOCAL_APIC_OVERRIDE 5 /* 5.2.12.8 */
#define MADT_LOCAL_X2APIC        9 /* 5.2.12.12 */

struct madt_io_apic {
    struct acpi_madt_entry e;
    u8 id;
    u8 reserved;
    u32 address;
    u32 gsi_base; /* the global system interrupt of its input 0 */
} __packed;

struct madt_source_override {
    struct acpi_madt_entry e;
    u8 bus; /* 0: ISA */
    u8 source;
    u32 gsi;
    u16 flags; /* MPS INTI flags, 5.2.12.5 table 5.26 */
} __packed;

#define MPS_POLARITY_MASK        0x3
#define MPS_POLARITY_ACTIVE_LOW  0x3
#define MPS_POLARITY_ACTIVE_HIGH 0x1
#define MPS_TRIGGER_MASK         0xc
#define MPS_TRIGGER_LEVEL        0xc
#define MPS_TRIGGER_EDGE         0x4

struct madt_lapic_override {
    struct acpi_madt_entry e;
    u16 reserved;
    u64 address;
} __packed;

/* What the interrupt code needs, from the MADT or the PC defaults. */
#define ACPI_MAX_IOAPICS 4
#define ACPI_ISA_IRQS    16

struct acpi_ioapic {
    u8 id;
    u32 address;
    u32 gsi_base;
};

/* Where an ISA IRQ arrives: ISA interrupts are edge-triggered, active
 * high, on the GSI of their own number, unless an override says else. */
struct acpi_isa_route {
    u32 gsi;
    bool active_low;
    bool level;
};

struct acpi_irq_info {
    u64 lapic_address;
    unsigned ioapics;
    struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
    struct acpi_isa_route isa[ACPI_ISA_IRQS];
    unsigned cpus;    /* enabled local APIC and x2APIC entries */
    bool pcat_compat; /* 8259 PICs present (to be masked) */
    bool from_acpi;   /* false: the PC defaults, no MADT was found */
};

/* The PC/AT defaults (no ACPI): the local APIC at 0xFEE00000 (SDM Vol. 3A
 * 11.4.1), one I/O APIC at 0xFEC00000 with GSI base 0, ISA IRQs identity. */
#define PC_LAPIC_ADDRESS  0xfee00000u
#define PC_IOAPIC_ADDRESS 0xfec00000u
void acpi_pc_defaults(struct acpi_irq_info *out);

/*
 * Physical memory for the parser: a pointer to [pa, pa + len) or NULL when
 * that range cannot be read (the kernel maps firmware memory; the host
 * tests give a buffer). A pointer stays valid until the parser returns.
 */
typedef const void *acpi_map_fn(u64 pa, u64 len, void *ctx);

/*
 * The RSDP where the PC BIOS leaves it when no loader says (5.2.5.1): on
 * a 16-byte boundary in the first KiB of the EBDA (whose segment is the
 * u16 at PA 0x40E), else in [0xE0000, 0x100000). Its PA, 0 if none has a
 * valid signature and checksum.
 */
u64 acpi_find_rsdp(acpi_map_fn *map, void *ctx);

/*
 * Fill out from the tables the RSDP at rsdp_pa leads to. NULL on success,
 * else a message ("acpi: ...", in a static buffer) naming the table and
 * what is wrong; out then holds the PC defaults.
 */
const char *acpi_parse(u64 rsdp_pa, acpi_map_fn *map, void *ctx, struct acpi_irq_info *out);

#endif
