/*
 * The console: the 16550 UART at COM1 (I/O port 0x3f8), 115200 8N1,
 * written polled, read by interrupt once lib/console.c asks (ISA IRQ 4).
 * Register offsets from the 16550D data sheet (table 2).
 */
#include <duet/arch.h>
#include <arch/x86.h>
#include "apic.h"
#include "x86_64.h"

#define COM1     0x3f8
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_8N1          0x03
#define LCR_DLAB         0x80
/* OUT2 gates the UART's interrupt output onto the ISA IRQ line on the PC
 * (QEMU's hw/char/serial.c does the same): without it no interrupt leaves. */
#define MCR_DTR_RTS_OUT2 0x0b
#define IER_RX_DATA      0x01 /* interrupt while received data is available */
#define COM1_ISA_IRQ     4
#define LSR_DATA_READY   0x01
#define LSR_THR_EMPTY    0x20
#define BAUD_DIVISOR     1 /* 115200 = 1.8432 MHz / 16 / 1 */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0); /* no interrupts until the console asks */
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, BAUD_DIVISOR & 0xff);
    outb(COM1 + UART_DLM, BAUD_DIVISOR >> 8);
    outb(COM1 + UART_LCR, LCR_8N1);
    /*
     * The FIFO control register is left as the firmware left it: clearing
     * the receive FIFO, or turning the FIFOs on (which empties them, 16550D
     * data sheet, FCR bit 0), would drop what was typed before the kernel
     * ran, and QEMU offers the UART the next waiting byte only when the
     * guest reads one (hw/char/serial.c), so the rest would wait there for
     * the next key. A console that takes each byte as it arrives, by
     * interrupt, needs no FIFO.
     */
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void arch_console_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        arch_cpu_relax();
    outb(COM1 + UART_THR, (u8)c);
}

int arch_console_getc(void)
{
    if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + UART_RBR);
}

/*
 * The receive-data interrupt stays raised while a byte waits (16550D, IIR
 * priority 2: cleared by reading RBR), so the handler's drain of
 * arch_console_getc() is what ends it.
 */
void arch_console_rx_interrupts(bool on)
{
    outb(COM1 + UART_IER, on ? IER_RX_DATA : 0);
}

unsigned arch_console_line(void)
{
    return x86_isa_irq_line(COM1_ISA_IRQ);
}
