/*
 * pl011.c: the serial console on the virt board's PL011 UART
 * (arch_console_putc, arch_console_getc), reached at its MMIO-window
 * address, which boot.S maps as Device-nGnRE (early_map.h).
 */
#include <duet/arch.h>
#include "aarch64.h"
#include "early_map.h"
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
 * 8N1 at 115200 baud, FIFOs on, interrupts masked, in the order the TRM's
 * description of UARTCR gives for reprogramming: disable, let the byte
 * being sent finish, program, enable.
 */
void pl011_init(void)
{
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
    if (reg_read(PL011_FR) & PL011_FR_RXFE)
        return -1;
    return (int)(reg_read(PL011_DR) & 0xff);
}
