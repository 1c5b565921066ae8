/*
 * The console: the arch's serial port with terminal conventions on top
 * ("\n" out as "\r\n"). Input comes by interrupt once console_irq_init()
 * has run: the handler moves what the UART holds into a ring and wakes
 * the readers, which sleep on a wait queue meanwhile (or, before threads
 * exist, wait for an interrupt) instead of spinning on the UART.
 */
#include <duet/arch.h>
#include <duet/irq.h>
#include <duet/printk.h>
#include <duet/spinlock.h>
#include <duet/thread.h>

#define CTRL_C 0x03

/* Who takes Ctrl-C (kernel/proc.c's proc_interrupt): true when it did. */
static bool (*ctrl_c_hook)(void);

void console_on_ctrl_c(bool (*hook)(void))
{
    ctrl_c_hook = hook;
}

/* A power of two: head and tail run freely and are masked on use. */
#define RX_RING_SIZE 1024

static struct {
    char buf[RX_RING_SIZE];
    unsigned head, tail; /* bytes are taken at tail, added at head */
    u64 dropped;         /* bytes lost because the ring was full */
    bool interrupts;
} rx;
static struct spinlock rx_lock = SPINLOCK_INIT("console rx");
/* Readers sleep here while the ring is empty; the interrupt wakes them. */
static struct wait_queue rx_wait = WAIT_QUEUE_INIT("console");

void console_putc(char c)
{
    if (c == '\n')
        arch_console_putc('\r');
    arch_console_putc(c);
}

void console_write(const char *s, size_t len)
{
    while (len--)
        console_putc(*s++);
}

/* Drain the UART: reading is what quiets its receive interrupt. */
static void console_interrupt(unsigned line, void *arg)
{
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    int c;

    while ((c = arch_console_getc()) >= 0) {
        /* Ctrl-C while a program runs is for the kernel, not input. */
        if (c == CTRL_C && ctrl_c_hook && ctrl_c_hook())
            continue;
        if (rx.head - rx.tail < RX_RING_SIZE)
            rx.buf[rx.head++ % RX_RING_SIZE] = (char)c;
        else
            rx.dropped++;
    }
    spin_unlock_irqrestore(&rx_lock, flags);
    wake_up_all(&rx_wait);
}

void console_irq_init(void)
{
    if (irq_register(arch_console_line(), "console", console_interrupt, NULL) == 0) {
        rx.interrupts = true;
        arch_console_rx_interrupts(true);
    }
}

/* The next byte from the ring, or -1 when it is empty. */
static int rx_take(void)
{
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    int c = -1;

    if (rx.head != rx.tail)
        c = (unsigned char)rx.buf[rx.tail++ % RX_RING_SIZE];
    spin_unlock_irqrestore(&rx_lock, flags);
    return c;
}

long console_read(char *buf, size_t n)
{
    size_t got = 0;
    int c;

    if (n == 0)
        return 0;
    if (!rx.interrupts || !sched_can_block()) {
        buf[0] = (char)console_getc();
        return 1;
    }
    while ((c = rx_take()) < 0) {
        int err = wait_event_interruptible(&rx_wait, READ_ONCE(rx.head) != READ_ONCE(rx.tail));
        if (err)
            return err;
    }
    do
        buf[got++] = (char)c;
    while (got < n && (c = rx_take()) >= 0);
    return (long)got;
}

int console_getc(void)
{
    unsigned long flags;
    int c;

    if (!rx.interrupts) {
        while ((c = arch_console_getc()) < 0)
            arch_cpu_relax();
        return c;
    }
    /* A thread sleeps until the interrupt has put a byte in the ring, and
     * the CPU goes to whatever else can run, or to idle's wait. */
    if (sched_can_block()) {
        while ((c = rx_take()) < 0)
            wait_event(&rx_wait, READ_ONCE(rx.head) != READ_ONCE(rx.tail));
        return c;
    }
    /* Before threads: masked between the look at the ring and the wait, so
     * a byte that arrives in between is still pending when the CPU waits. */
    flags = arch_irq_save();
    while ((c = rx_take()) < 0)
        arch_wait_for_interrupt();
    arch_irq_restore(flags);
    return c;
}
