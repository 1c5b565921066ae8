/*
 * The IDT: one 64-bit interrupt gate per vector, each pointing at its stub
 * in trap_entry.S: 0..31 the exceptions, 32..255 the interrupts (apic.h
 * numbers them). Interrupt gates clear IF, so handlers run masked. The double fault, the NMI and the
 * machine check run on IST stacks of their own (gdt.h says why).
 */
#include <duet/compiler.h>
#include "gdt.h"
#include "x86_64.h"

#define IDT_VECTORS          256
#define GATE_INTERRUPT       0x8e /* P, DPL 0, type 0xE: 64-bit interrupt gate */
#define VECTOR_NMI           2
#define VECTOR_DOUBLE_FAULT  8
#define VECTOR_MACHINE_CHECK 18

struct idt_gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
} __packed;

extern const u64 trap_stubs[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS] __aligned(16);

static void set_gate(unsigned vector, u64 handler, u8 ist)
{
    idt[vector] = (struct idt_gate){
        .offset_low = handler & 0xffff,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (handler >> 16) & 0xffff,
        .offset_high = handler >> 32,
    };
}

void idt_init(void)
{
    struct {
        u16 limit;
        u64 base;
    } __packed idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

    for (unsigned v = 0; v < IDT_VECTORS; v++)
        set_gate(v, trap_stubs[v], 0);
    set_gate(VECTOR_NMI, trap_stubs[VECTOR_NMI], IST_NMI);
    set_gate(VECTOR_DOUBLE_FAULT, trap_stubs[VECTOR_DOUBLE_FAULT], IST_DOUBLE_FAULT);
    set_gate(VECTOR_MACHINE_CHECK, trap_stubs[VECTOR_MACHINE_CHECK], IST_MACHINE_CHECK);
    __asm__ volatile("lidt %0" : : "m"(idtr));
}
