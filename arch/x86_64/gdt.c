/*
 * The GDT and the TSS. Long mode ignores segment bases and limits, but
 * still needs code and data descriptors, and a TSS for the stacks the CPU
 * switches to: rsp0 for entries from user mode (later) and the interrupt
 * stack table (IST), which gives the double-fault handler a stack of its
 * own, so a kernel stack overflow is reported instead of resetting the
 * machine (SDM Vol. 3A 6.14.5).
 *
 * Selector order follows SYSRET's rules (SDM Vol. 2B, SYSRET): user data
 * right below user code, both at a fixed distance from STAR[63:48].
 */
#include <duet/compiler.h>
#include <duet/string.h>
#include "x86_64.h"
#include "gdt.h"

struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __packed;

/* Access and flag bits of a code/data descriptor (SDM Vol. 3A 3.4.5). */
#define DESC_KERNEL_CODE64 0x00af9a000000ffffULL /* P, DPL 0, code, L */
#define DESC_KERNEL_DATA   0x00cf92000000ffffULL /* P, DPL 0, data, writable */
#define DESC_USER_DATA     0x00cff2000000ffffULL /* DPL 3 */
#define DESC_USER_CODE64   0x00affa000000ffffULL /* DPL 3, L */
#define TSS_TYPE_AVAILABLE 0x89                  /* P, type 9: 64-bit TSS */

#define IST_STACK_SIZE 8192

/* One stack per IST slot (gdt.h), each for its own kind of trap. */
static u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);
static struct tss tss;
static u64 gdt[GDT_ENTRIES] __aligned(16);

/* A TSS descriptor takes two GDT slots (SDM Vol. 3A 7.2.3). */
static void set_tss_descriptor(u64 *slot, const struct tss *t)
{
    u64 base = (u64)(uintptr_t)t;
    u64 limit = sizeof(*t) - 1;

    slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((u64)TSS_TYPE_AVAILABLE << 40) |
              (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    slot[1] = base >> 32;
}

/* Where the CPU switches the stack to on a trap from ring 3. */
void gdt_set_kernel_stack(u64 top)
{
    tss.rsp[0] = top;
}

void gdt_init(void)
{
    struct {
        u16 limit;
        u64 base;
    } __packed gdtr = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };

    gdt[GDT_KERNEL_CODE / 8] = DESC_KERNEL_CODE64;
    gdt[GDT_KERNEL_DATA / 8] = DESC_KERNEL_DATA;
    gdt[GDT_USER_DATA / 8] = DESC_USER_DATA;
    gdt[GDT_USER_CODE / 8] = DESC_USER_CODE64;
    for (unsigned slot = IST_DOUBLE_FAULT; slot <= IST_MACHINE_CHECK; slot++)
        tss.ist[slot - 1] = (u64)(uintptr_t)(ist_stacks[slot - 1] + IST_STACK_SIZE);
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
    set_tss_descriptor(&gdt[GDT_TSS / 8], &tss);

    /* Reload CS with a far return, the data segments directly, then TR. */
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}
