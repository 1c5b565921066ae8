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
 * 8N1 at 115200 baud, interrupts masked, in the order the TRM's
 * description of UARTCR gives for reprogramming: disable, let the byte
 * being sent finish, program, enable.
 *
 * The FIFOs stay as the firmware left them (off, QEMU's reset state), as
 * x86_64's serial.c leaves the 16550's. A byte typed before the kernel
 * started sits in the one-byte holding register while the sender keeps
 * the rest back, and QEMU empties the UART on any change of LCR_H.FEN:
 * turning the FIFOs on lost a byte typed between the last read and the
 * write (a type-ahead test saw "hlp" for "help" on a loaded host). Off,
 * nothing is lost under QEMU; on hardware a byte must be read within a
 * character time (87 us at 115200 baud), which typing leaves far behind
 * and a pasted burst may not.
 */
void pl011_init(void)
{
    u32 fifos = reg_read(PL011_LCR_H) & PL011_LCR_H_FEN;

    reg_write(PL011_CR, 0);
    while (reg_read(PL011_FR) & PL011_FR_BUSY)
        ;
    reg_write(PL011_IMSC, 0);
    reg_write(PL011_ICR, 0x7ff);
    reg_write(PL011_IBRD, PL011_IBRD_115200);
    reg_write(PL011_FBRD, PL011_FBRD_115200);
    reg_write(PL011_LCR_H, PL011_LCR_H_WLEN_8 | fifos);
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
 * With the FIFOs off RXIM fires for each byte; with them on (a firmware
 * that turned them on) it would leave a byte short of the trigger level
 * (half full by default) waiting, and RTIM fires once bytes have sat for
 * 32 bit periods, so a single keystroke arrives (PL011 TRM 2.9,
 * "Interrupts"). Both clear when the handler empties the UART. A byte
 * that arrived before this (type-ahead during boot) may have raised its
 * interrupt before pl011_init() cleared it: make the line pending so the
 * handler drains it.
 */
void arch_console_rx_interrupts(bool on)
{
    reg_write(PL011_IMSC, on ? PL011_INT_RX | PL011_INT_RT : 0);
    if (on && !(reg_read(PL011_FR) & PL011_FR_RXFE))
        arch_irq_raise(arch_console_line());
}
