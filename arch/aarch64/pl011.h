/*
 * The Arm PrimeCell UART (PL011) registers Duet uses: byte offsets and
 * bits from the PL011 Technical Reference Manual (DDI 0183), section 3.3
 * "Register descriptions". Shared by boot.S (error messages with the MMU
 * off, at the UART's PA) and pl011.c (the console, at its MMIO-window VA).
 */
#ifndef AARCH64_PL011_H
#define AARCH64_PL011_H

#define PL011_DR           0x000    /* data: write to send, read to receive */
#define PL011_FR           0x018    /* flags */
#define PL011_FR_BUSY      (1 << 3) /* still sending a byte */
#define PL011_FR_RXFE      (1 << 4) /* receive FIFO empty */
#define PL011_FR_TXFF      (1 << 5) /* transmit FIFO full */
#define PL011_FR_RXFE_BIT  4
#define PL011_FR_TXFF_BIT  5
#define PL011_IBRD         0x024    /* integer baud-rate divisor */
#define PL011_FBRD         0x028    /* fractional baud-rate divisor */
#define PL011_LCR_H        0x02c    /* line control */
#define PL011_LCR_H_FEN    (1 << 4) /* FIFOs enabled */
#define PL011_LCR_H_WLEN_8 (3 << 5) /* 8 data bits (no parity, 1 stop bit) */
#define PL011_CR           0x030    /* control */
#define PL011_CR_UARTEN    (1 << 0)
#define PL011_CR_TXE       (1 << 8)
#define PL011_CR_RXE       (1 << 9)
#define PL011_IMSC         0x038    /* interrupt mask set/clear: 1 = enabled */
#define PL011_ICR          0x044    /* interrupt clear */
#define PL011_INT_RX       (1 << 4) /* RXIM: the receive FIFO reached its trigger level */
#define PL011_INT_RT       (1 << 6) /* RTIM: receive timeout, bytes waiting and none coming */

/*
 * 115200 baud from the virt board's 24 MHz UARTCLK: divisor
 * 24e6 / (16 * 115200) = 13.02, so IBRD 13 and FBRD round(0.02 * 64) = 1.
 * (QEMU ignores the rate; real PL011s need it.)
 */
#define PL011_CLOCK_HZ    24000000
#define PL011_IBRD_115200 13
#define PL011_FBRD_115200 1

#endif
