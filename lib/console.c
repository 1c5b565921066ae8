/*
 * The console: the arch's serial port with terminal conventions on top
 * ("\n" out as "\r\n"). Single CPU, interrupts off: no lock yet.
 */
#include <duet/arch.h>
#include <duet/printk.h>

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

int console_getc(void)
{
    int c;

    while ((c = arch_console_getc()) < 0)
        arch_cpu_relax();
    return c;
}
