#include "kernel/console.h"
#include "drivers/uart16550.h"
#include "kernel/format.h"
#include "kernel/spinlock.h"

#include <stdarg.h>

static struct spinlock console_lock;

void console_init(void)
{
	uart_init();
}

static void console_puts_locked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	spin_lock(&console_lock);
	console_puts_locked(buf, (size_t)n);
	spin_unlock(&console_lock);
}

void console_write_prefixed(const char *prefix, const char *text, size_t len)
{
	spin_lock(&console_lock);
	console_puts_locked("[", 1);
	size_t plen = 0;
	while (prefix[plen])
		plen++;
	console_puts_locked(prefix, plen);
	console_puts_locked("] ", 2);
	console_puts_locked(text, len);
	console_puts_locked("\n", 1);
	spin_unlock(&console_lock);
}

void console_force_unlock(void)
{
	spin_unlock(&console_lock);
}
