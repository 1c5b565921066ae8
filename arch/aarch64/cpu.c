/*
 * cpu.c: the small parts of include/duet/arch.h: the arch's name, the CPU
 * description, installing the vectors, turning the lower half off (boot.S's
 * identity map goes that way), and the one-instruction helpers.
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
 * The lower half off: when this returns, no address below the kernel half
 * translates, on this CPU or any other (an access faults as not mapped),
 * and the CPU walks no table for one: arch_mmu_user_root() is PADDR_NONE.
 * The kernel half (TTBR1_EL1) is untouched. Both boot.S's identity map
 * and a user address space live in the lower half, so its removal and a
 * switch to no user half (arch_mmu_switch_user(PADDR_NONE)) end here.
 *
 * The rules: TCR_EL1.EPD0 set makes a TLB miss on a TTBR0_EL1 address a
 * translation fault, with no walk (Arm ARM, TCR_EL1), but acts on misses
 * only; a system-register write takes effect for later instructions after
 * a context synchronisation event; a TLB invalidation is complete once a
 * DSB follows it (Arm ARM D8, "TLB maintenance requirements").
 */
void aarch64_lower_half_off(void)
{
    /* LAB 4 BEGIN: aarch64_lower_half_off */
    /* LAB 4 STUB: printf("lab 4 not implemented (aarch64_lower_half_off): the lower half stays mapped\n"); */
    write_sysreg(tcr_el1, read_sysreg(tcr_el1) | TCR_EPD0);
    write_sysreg(ttbr0_el1, 0);
    isb();
    __asm__ volatile("tlbi vmalle1is" : : : "memory");
    dsb(ish);
    isb();
    /* LAB 4 END */
}

/* At boot the identity map is all the lower half holds. */
void arch_remove_identity_map(void)
{
    aarch64_lower_half_off();
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
