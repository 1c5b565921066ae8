/*
 * pl011.c: the serial console on the virt board's PL011 UART
 * (arch_console_putc, arch_console_getc, and its receive interrupt),
 * reached at its MMIO-window address, which boot.S maps as Device-nGnRE
 * (early_map.h).
 */
#include <duet/arch.h>
#include <duet/irq.h>
#include "aarch64.h"
#include "early_map.h"
#include "fdt.h"
#include "pl011.h"

static volatile u32 *const uart = (volatile u32 *)EARLY_UART_VA;

static u32 reg_read(u32 offset)
{
    return uart[offset / 4];
}

static void reg_write(u32 offset, u32 value)
{
    uart[offset / 4] = value;
}

/*
 * Bytes typed before the kernel started. With the FIFOs off (their reset
 * state) the UART holds one byte, the sender keeps the rest back, and
 * turning the FIFOs on empties the UART (QEMU flushes on any change of
 * LCR_H.FEN). So pl011_init() first takes what is held, and what comes
 * in while it does, and arch_console_getc() hands those out first.
 */
#define EARLY_MAX 16
static u8 early[EARLY_MAX];
static unsigned early_len, early_pos;

/* FIFOs on, keeping the held byte: a byte that lands between the last look
 * and the LCR_H write is still lost, but the window is one access wide. */
static void fifo_on(void)
{
    if (reg_read(PL011_LCR_H) & PL011_LCR_H_FEN)
        return;
    while (early_len < EARLY_MAX && !(reg_read(PL011_FR) & PL011_FR_RXFE))
        early[early_len++] = (u8)reg_read(PL011_DR);
    reg_write(PL011_LCR_H, PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
}

/*
 * 8N1 at 115200 baud, FIFOs on, interrupts masked, in the order the TRM's
 * description of UARTCR gives for reprogramming: disable, let the byte
 * being sent finish, program, enable.
 */
void pl011_init(void)
{
    fifo_on();
    reg_write(PL011_CR, 0);
    while (reg_read(PL011_FR) & PL011_FR_BUSY)
        ;
    reg_write(PL011_IMSC, 0);
    reg_write(PL011_ICR, 0x7ff);
    reg_write(PL011_IBRD, PL011_IBRD_115200);
    reg_write(PL011_FBRD, PL011_FBRD_115200);
    reg_write(PL011_LCR_H, PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
    reg_write(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

void arch_console_putc(char c)
{
    while (reg_read(PL011_FR) & PL011_FR_TXFF)
        ;
    reg_write(PL011_DR, (u8)c);
}

int arch_console_getc(void)
{
    if (early_pos < early_len)
        return early[early_pos++];
    if (reg_read(PL011_FR) & PL011_FR_RXFE)
        return -1;
    return (int)(reg_read(PL011_DR) & 0xff);
}

/* The console's SPI, if the device tree's first PL011 is this one. */
unsigned arch_console_line(void)
{
    const struct fdt_irq *dt = &aarch64_fdt_irq;

    if (!dt->uart_intid || dt->uart_base != PL011_PHYS)
        return IRQ_MAX_LINES; /* none: irq_register refuses it, the console polls */
    return dt->uart_intid;
}

/*
 * RXIM alone would leave a byte short of the FIFO's trigger level (half
 * full by default) waiting; RTIM fires once bytes have sat for 32 bit
 * periods, so a single keystroke arrives (PL011 TRM 2.9, "Interrupts").
 * Both clear when the handler empties the FIFO. Bytes that arrived
 * before this (type-ahead during boot, early[] included) may have
 * raised their interrupt before pl011_init() cleared it, or not at all:
 * make the line pending so the handler drains them.
 */
void arch_console_rx_interrupts(bool on)
{
    reg_write(PL011_IMSC, on ? PL011_INT_RX | PL011_INT_RT : 0);
    if (on && (early_pos < early_len || !(reg_read(PL011_FR) & PL011_FR_RXFE)))
        arch_irq_raise(arch_console_line());
}
