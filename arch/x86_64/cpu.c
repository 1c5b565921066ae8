/*
 * CPU identity and stopping the machine.
 */
#include <duet/arch.h>
#include <duet/string.h>
#include <arch/x86.h>

/*
 * QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=4):
 * writing v makes QEMU exit with status (v << 1) | 1; tools/qemu.py undoes
 * that and the bias (see QEMU_EXIT_STATUS_BIAS in duet/arch.h).
 */
#define DEBUG_EXIT_PORT    0xf4
/* ACPI PM1a control of QEMU's PIIX4 (-M pc): SLP_TYP = 5 (S5) with SLP_EN. */
#define ACPI_PM1A_CNT_PIIX 0x604
#define ACPI_SLEEP_S5      0x2000

const char *arch_name(void)
{
    return "x86_64";
}

void arch_cpu_describe(char *buf, size_t size)
{
    u32 regs[12], a, b, c, d;

    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a >= 0x80000004) {
        /* The brand string: CPUID 0x80000002..4, 16 bytes each (SDM Vol. 2A). */
        for (size_t i = 0; i < 3; i++)
            cpuid(0x80000002 + (u32)i, 0, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                  &regs[4 * i + 3]);
        const char *brand = (const char *)regs;
        size_t n = strnlen(brand, sizeof(regs));
        /* Intel right-justifies it. cpuid wrote all 12 words, which the analyzer cannot see. */
        while (n && brand[0] == ' ') /* NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult) */
            brand++, n--;
        if (n >= size)
            n = size - 1;
        memcpy(buf, brand, n);
        buf[n] = '\0';
        return;
    }
    cpuid(0, 0, &a, &regs[0], &regs[2], &regs[1]); /* vendor: EBX, EDX, ECX */
    size_t n = size - 1 < 12 ? size - 1 : 12;
    memcpy(buf, regs, n);
    buf[n] = '\0';
}

void arch_cpu_relax(void)
{
    __asm__ volatile("pause");
}

void arch_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void arch_poweroff(int status)
{
    if (status < 0 || status > 100)
        status = 100;
    outl(DEBUG_EXIT_PORT, QEMU_EXIT_STATUS_BIAS + (u32)status);
    /* Without the debug-exit device: ACPI soft-off, which loses the status. */
    outw(ACPI_PM1A_CNT_PIIX, ACPI_SLEEP_S5);
    arch_halt();
}

void arch_execute_undefined(void)
{
    __asm__ volatile("ud2");
}

/* RFLAGS.IF (bit 9) says whether interrupts are enabled. */
unsigned long arch_irq_save(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
    return flags;
}

void arch_irq_restore(unsigned long flags)
{
    if (flags & (1UL << 9))
        __asm__ volatile("sti" : : : "memory");
}
