/*
 * The two 8259A PICs of the PC/AT, master at ports 0x20/0x21, slave at
 * 0xA0/0xA1 on the master's input 2. The I/O APIC replaces them, but they
 * are still there (the MADT's PCAT_COMPAT flag) and still wired to the
 * CPU's LINT0. The firmware leaves them raising vectors 8..15 for IRQ 0..7,
 * which are the CPU's exceptions (#DF is 8): one stray interrupt would look
 * like a double fault. So they are initialised again with their vectors at
 * 0x20..0x2F, out of the exceptions' way, and then every input is masked.
 * Even a masked 8259 can raise a spurious IRQ 7 or 15; it would now arrive
 * as an ordinary vector, and LINT0 is masked in the local APIC as well
 * (lapic.c). The sequence is ICW1..ICW4 (Intel 8259A data sheet, "Operation
 * of the 8259A": initialization command words).
 */
#include <arch/x86.h>
#include "apic.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT    0x10 /* start the initialisation sequence */
#define ICW1_ICW4    0x01 /* an ICW4 follows */
#define ICW3_MASTER  0x04 /* the slave hangs on input 2 */
#define ICW3_SLAVE   0x02 /* its cascade identity: 2 */
#define ICW4_8086    0x01 /* 8086 mode, normal EOI */
#define PIC_MASK_ALL 0xff
#define PIC1_VECTOR  0x20
#define PIC2_VECTOR  0x28

void pic_disable(void)
{
    outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
    outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
    outb(PIC1_DATA, PIC1_VECTOR); /* ICW2: vector of input 0 */
    outb(PIC2_DATA, PIC2_VECTOR);
    outb(PIC1_DATA, ICW3_MASTER);
    outb(PIC2_DATA, ICW3_SLAVE);
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    outb(PIC1_DATA, PIC_MASK_ALL); /* OCW1: the interrupt mask */
    outb(PIC2_DATA, PIC_MASK_ALL);
}
