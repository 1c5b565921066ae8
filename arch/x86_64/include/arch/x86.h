/*
 * x86_64 instructions the C code needs, as small inline functions, and the
 * architectural constants they use (Intel SDM Vol. 3A, chapters 2 and 4).
 */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <duet/types.h>

/* Control-register bits (SDM Vol. 3A 2.5). */
#define CR0_PE  (1UL << 0)
#define CR0_WP  (1UL << 16) /* supervisor writes honour read-only pages */
#define CR0_PG  (1UL << 31)
#define CR4_PAE (1UL << 5)
#define CR4_PGE (1UL << 7) /* global pages survive CR3 reloads */

/* EFER, MSR 0xC000_0080 (SDM Vol. 3A 2.2.1). */
#define MSR_EFER 0xC0000080
#define EFER_SCE (1UL << 0)  /* the syscall instruction */
#define EFER_LME (1UL << 8)  /* long mode enable */
#define EFER_NXE (1UL << 11) /* without it, PTE bit 63 is reserved and faults */

/* Page-table entry bits (SDM Vol. 3A 4.5). */
#define PTE_P  (1UL << 0)
#define PTE_RW (1UL << 1)
#define PTE_US (1UL << 2)
#define PTE_PS (1UL << 7) /* a 2 MiB or 1 GiB leaf in a PD or PDPT */
#define PTE_G  (1UL << 8)
#define PTE_NX (1UL << 63)

static inline void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline u64 read_cr2(void)
{
    u64 v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline u64 read_cr3(void)
{
    u64 v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(u64 v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void cpuid(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

#endif
