/*
 * Formatted output. printf() writes to the console; snprintf() and
 * vsnprintf() to a buffer, always NUL-terminated, returning the length the
 * whole output would have had (as C99 says).
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with the l, ll and z length
 * modifiers, a field width (number or *), the 0 flag, the - flag and a
 * precision for %s (".N" or ".*": at most N characters).
 */
#ifndef DUET_PRINTK_H
#define DUET_PRINTK_H

#include <stdarg.h>
#include <duet/compiler.h>
#include <duet/types.h>

int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The console below printf: "\n" becomes "\r\n" for the terminal. */
void console_putc(char c);
void console_write(const char *s, size_t len);
/* Block until a byte arrives on the console. */
int console_getc(void);
/* Block until at least one byte has come, then take up to n that have:
 * their count, or -EINTR when the thread was interrupted (a read(2)). */
long console_read(char *buf, size_t n);
/* Take console input by interrupt from now on (lib/console.c). */
void console_irq_init(void);
/* Ctrl-C typed while hook() returns true is taken by it, not input. */
void console_on_ctrl_c(bool (*hook)(void));

#endif
