/*
 * The boot banner: the same shape on both arches, so a student comparing
 * two consoles sees the differences that matter (CPU, addresses) and
 * nothing else. Tests read it, so change its format with them.
 */
#include <duet/arch.h>
#include <duet/cmdline.h>
#include <duet/kernel.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/sections.h>

static void print_range(const char *name, const void *start, const void *end, const char *perm)
{
    unsigned long size = (unsigned long)((const char *)end - (const char *)start);

    printf("    %-8s 0x%016lx-0x%016lx %6lu KiB  %s\n", name, (unsigned long)start,
           (unsigned long)end, size / 1024, perm);
}

void banner_print(void)
{
    char cpu[96];

    arch_cpu_describe(cpu, sizeof(cpu));
    printf("Duet kernel on %s\n", arch_name());
    printf("  cpu:     %s\n", cpu);
    printf("  cmdline: %s\n", cmdline_get_all());
    printf("  layout (virtual):\n");
    printf("    %-8s 0x%016lx-0x%016lx  user space\n", "user", (unsigned long)USER_BASE,
           (unsigned long)USER_END - 1);
    printf("    %-8s 0x%016lx-0x%016lx  all RAM at PHYS_OFFSET + PA\n", "pmo",
           (unsigned long)PHYS_OFFSET, (unsigned long)PMO_END - 1);
    printf("    %-8s 0x%016lx-0x%016lx  device memory, mapped on demand\n", "mmio",
           (unsigned long)MMIO_BASE, (unsigned long)MMIO_END - 1);
    printf("    %-8s 0x%016lx-0x%016lx  kernel threads' stacks, each over a guard\n", "kstacks",
           (unsigned long)KSTACK_BASE, (unsigned long)KSTACK_END - 1);
    print_range("kernel", __kernel_start, __kernel_end, "");
    print_range(".text", __text_start, __text_end, "r-x");
    print_range(".rodata", __rodata_start, __rodata_end, "r--");
    print_range(".data", __data_start, __data_end, "rw-");
    print_range(".bss", __bss_start, __bss_end, "rw-");
    print_range("stack", __boot_stack_bottom, __boot_stack_top, "rw-");
}
