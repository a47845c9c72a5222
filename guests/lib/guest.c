#include "guest.h"

#define UART_LSR      (KAN_UART_PORT + 5)
#define LSR_THR_EMPTY 0x20

uint8_t guest_hypercall_vmmcall;

static int use_hypercall;
static char pending[128]; /* the line not yet sent through the hypercall */
static unsigned pending_len;

void guest_console_use_hypercall(void)
{
	use_hypercall = 1;
}

static void send_pending(void)
{
	for (unsigned sent = 0; sent < pending_len;) {
		int64_t n = kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)pending + sent,
					  pending_len - sent, 0);
		if (n < 0)
			break;
		sent += (unsigned)n;
		if (!n)
			__asm__ volatile("sti; hlt; cli"); /* budget spent: give the CPU away */
	}
	pending_len = 0;
}

void guest_putc(char c)
{
	if (use_hypercall) {
		pending[pending_len++] = c;
		if (c == '\n' || pending_len == sizeof(pending))
			send_pending();
		return;
	}
	while (!(guest_in(UART_LSR, 1) & LSR_THR_EMPTY))
		;
	guest_out(KAN_UART_PORT, 1, (uint8_t)c);
}

void guest_puts(const char *s)
{
	while (*s)
		guest_putc(*s++);
}

static void put_unsigned(uint64_t v, unsigned base)
{
	char digits[20];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		guest_putc(digits[--n]);
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
}

void guest_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			guest_putc(*fmt);
			continue;
		}
		int is_long = 0;
		while (*++fmt == 'l')
			is_long = 1;
		switch (*fmt) {
		case 's':
			guest_puts(va_arg(ap, const char *));
			break;
		case 'c':
			guest_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				guest_putc('-');
				v = -v;
			}
			put_unsigned((uint64_t)v, 10);
			break;
		}
		case 'u':
		case 'x':
			put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned),
				     *fmt == 'u' ? 10 : 16);
			break;
		default:
			guest_putc(*fmt);
		}
	}
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Decimal, or hexadecimal after 0x; stops at the first character that is not a digit. */
static uint64_t parse_number(const char *p)
{
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint64_t v = 0;
	for (int d; (d = digit_value(*p)) < (int)base; p++)
		v = v * base + (uint64_t)d;
	return v;
}

uint64_t guest_arg(const struct kan_start_info *info, const char *key, uint64_t fallback)
{
	const char *p = info->cmdline;
	while (*p && !(starts_with(p, "--") && (p[2] == ' ' || p[2] == 0)))
		p++;
	while (*p) {
		while (*p == ' ' || *p == '-')
			p++;
		const char *k = key;
		while (*k && *p == *k)
			p++, k++;
		if (!*k && *p == '=')
			return parse_number(p + 1);
		while (*p && *p != ' ')
			p++;
	}
	return fallback;
}
