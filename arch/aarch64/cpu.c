/*
 * cpu.c: the small parts of include/duet/arch.h: the arch's name, the CPU
 * description, installing the vectors, removing boot.S's identity map,
 * and the one-instruction helpers.
 */
#include <duet/arch.h>
#include <duet/printk.h>
#include "aarch64.h"
#include "sysregs.h"

const char *arch_name(void)
{
    return "aarch64";
}

/*
 * MIDR_EL1 (Arm ARM, "MIDR_EL1, Main ID Register"): Implementer [31:24],
 * Variant [23:20] (the rN of rNpM), Architecture [19:16], PartNum [15:4],
 * Revision [3:0] (the pM). Part numbers are from each core's TRM.
 */
struct cpu_part {
    u32 implementer, part;
    const char *name;
};

static const struct cpu_part cpu_parts[] = {
    { 0x41, 0xd03, "Cortex-A53" },
    { 0x41, 0xd04, "Cortex-A35" },
    { 0x41, 0xd05, "Cortex-A55" },
    { 0x41, 0xd07, "Cortex-A57" },
    { 0x41, 0xd08, "Cortex-A72" },
    { 0x41, 0xd09, "Cortex-A73" },
    { 0x41, 0xd0a, "Cortex-A75" },
    { 0x41, 0xd0b, "Cortex-A76" },
    { 0x41, 0xd0c, "Neoverse-N1" },
    { 0x41, 0xd0d, "Cortex-A77" },
    { 0x41, 0xd40, "Neoverse-V1" },
    { 0x41, 0xd41, "Cortex-A78" },
    { 0x41, 0xd44, "Cortex-X1" },
    { 0x41, 0xd46, "Cortex-A510" },
    { 0x41, 0xd47, "Cortex-A710" },
    { 0x41, 0xd49, "Neoverse-N2" },
    /* QEMU's -cpu max: implementer 0 ("reserved for software use"), part 'Q'. */
    { 0x00, 0x051, "max" },
};

static const char *implementer_name(u32 implementer)
{
    switch (implementer) {
    case 0x00: return "QEMU"; /* 0: reserved for software use */
    case 0x41: return "ARM";
    case 0x42: return "Broadcom";
    case 0x43: return "Cavium";
    case 0x46: return "Fujitsu";
    case 0x48: return "HiSilicon";
    case 0x4e: return "NVIDIA";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0xc0: return "Ampere";
    }
    return "unknown implementer";
}

void arch_cpu_describe(char *buf, size_t size)
{
    u64 midr = read_sysreg(midr_el1);
    u32 implementer = (midr >> 24) & 0xff;
    u32 variant = (midr >> 20) & 0xf;
    u32 part = (midr >> 4) & 0xfff;
    u32 revision = midr & 0xf;
    const char *part_name = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(cpu_parts); i++)
        if (cpu_parts[i].implementer == implementer && cpu_parts[i].part == part)
            part_name = cpu_parts[i].name;
    if (part_name)
        snprintf(buf, size, "%s %s r%up%u (MIDR_EL1 0x%08lx, entered at EL%lu)",
                 implementer_name(implementer), part_name, variant, revision, midr,
                 aarch64_boot_el);
    else
        snprintf(buf, size, "%s part 0x%03x r%up%u (MIDR_EL1 0x%08lx, entered at EL%lu)",
                 implementer_name(implementer), part, variant, revision, midr, aarch64_boot_el);
}

/* VBAR_EL1 holds the table's address; its low 11 bits are RES0, hence
 * the 2 KiB alignment in vectors.S. */
void arch_trap_init(void)
{
    write_sysreg(vbar_el1, (u64)(uintptr_t)aarch64_vectors);
    isb();
}

/*
 * Stop translating through TTBR0. TCR_EL1.EPD0 = 1: "a TLB miss on an
 * address translated using TTBR0_EL1 generates a Translation fault" (Arm
 * ARM, TCR_EL1), so lower-half addresses fault at level 0 with no walk;
 * TTBR0_EL1 is cleared too. EPD0 acts on a miss only, and the identity
 * map's entries may still be in the TLB, so after the ISB that puts the
 * new TCR in effect: invalidate all EL1&0 entries on every CPU of the
 * Inner Shareable domain, wait for that to finish (DSB ISH), and
 * resynchronise (ISB) (Arm ARM "TLB maintenance requirements").
 */
void arch_remove_identity_map(void)
{
    /* LAB 4 BEGIN: arch_remove_identity_map (aarch64) */
    /* LAB 4 STUB: printf("lab 4 not implemented (arch_remove_identity_map): the identity map stays\n"); */
    write_sysreg(tcr_el1, read_sysreg(tcr_el1) | TCR_EPD0);
    write_sysreg(ttbr0_el1, 0);
    isb();
    __asm__ volatile("tlbi vmalle1is" : : : "memory");
    dsb(ish);
    isb();
    /* LAB 4 END */
}

void arch_cpu_relax(void)
{
    __asm__ volatile("yield" : : : "memory");
}

void arch_execute_undefined(void)
{
    /* UDF: permanently undefined, raises EC 0x00 ("unknown reason"). */
    __asm__ volatile("udf #0");
}

/* DAIF holds the four mask bits; restoring it puts back exactly what was. */
unsigned long arch_irq_save(void)
{
    unsigned long flags;

    __asm__ volatile("mrs %0, daif\n\tmsr daifset, #0xf" : "=r"(flags) : : "memory");
    return flags;
}

void arch_irq_restore(unsigned long flags)
{
    __asm__ volatile("msr daif, %0" : : "r"(flags) : "memory");
}
