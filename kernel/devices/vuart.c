#include "kernel/devices/vuart.h"
#include "kernel/console.h"
#include "kernel/string.h"

/* 16550 registers (offset from the base port) and the bits a guest driver looks at. */
#define REG_DATA 0 /* THR/RBR, or DLL with LCR.DLAB */
#define REG_IER	 1 /* or DLM with LCR.DLAB */
#define REG_IIR	 2 /* FCR on write */
#define REG_LCR	 3
#define REG_MCR	 4
#define REG_LSR	 5
#define REG_MSR	 6
#define REG_SCR	 7

#define LCR_DLAB	 0x80
#define IIR_NO_INTERRUPT 0x01
#define IIR_THR_EMPTY	 0x02
#define IIR_RX_DATA	 0x04
#define IER_RX_DATA	 0x01
#define IER_THR_EMPTY	 0x02
#define LSR_THRE_TEMT	 0x60 /* transmitter holding register and shift register empty */
#define LSR_DATA_READY	 0x01
#define MSR_DCD_DSR_CTS	 0xb0
#define MCR_LOOP	 0x10

void vuart_init(struct vuart *uart, const char *prefix)
{
	memset(uart, 0, sizeof(*uart));
	uart->prefix = prefix;
	uart->dll = 1; /* 115200 baud, as if firmware had set it */
}

static void emit(struct vuart *uart)
{
	if (!console_write_prefixed(uart->prefix, uart->line, uart->len))
		uart->bytes_dropped += uart->len + 1;
	uart->len = 0;
}

void vuart_flush(struct vuart *uart)
{
	if (uart->len)
		emit(uart);
}

void vuart_write(struct vuart *uart, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			emit(uart); /* an empty line is still a line: the guest meant it */
			continue;
		}
		if (c == '\r')
			continue;
		if ((unsigned char)c < 0x20 && c != '\t')
			c = '?'; /* no guest writes escape sequences into kan's console */
		if (uart->len == VUART_LINE_MAX)
			vuart_flush(uart); /* a longer line is split; an exact fit is not */
		uart->line[uart->len++] = c;
	}
}

size_t vuart_write_budgeted(struct vuart *uart, const char *text, size_t len)
{
	size_t n = console_budget_available(&uart->budget);
	if (n > len)
		n = len;
	console_budget_spend(&uart->budget, n);
	vuart_write(uart, text, n);
	return n;
}

static void signal_thr_empty(struct vuart *uart)
{
	if (!uart->raise_irq || !(uart->ier & IER_THR_EMPTY))
		return;
	uart->thre_interrupt = true;
	uart->raise_irq(uart->irq_ctx);
}

static void vuart_write_register(struct vuart *uart, unsigned reg, uint8_t v)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA:
		if (dlab) {
			uart->dll = v;
		} else if (uart->mcr & MCR_LOOP) {
			/* In loopback the transmitter sends nothing. A 16550 would also receive
			 * the byte; kan's receive side has one producer, the console, so the
			 * byte is lost and counted. */
			uart->bytes_dropped++;
		} else {
			/* Writing while LSR says busy is an overrun on a real UART: the byte is
			 * lost. */
			char c = (char)v;
			if (!vuart_write_budgeted(uart, &c, 1))
				uart->bytes_dropped++;
			signal_thr_empty(uart); /* sent at once: the holding register is empty */
		}
		break;
	case REG_IER:
		if (dlab) {
			uart->dlm = v;
		} else {
			uart->ier = v & 0x0f;
			signal_thr_empty(uart); /* enabling it with THR empty interrupts at once */
		}
		break;
	case REG_LCR:
		uart->lcr = v;
		break;
	case REG_MCR:
		uart->mcr = v & 0x1f;
		break;
	case REG_SCR:
		uart->scr = v;
		break;
	default: /* FCR, and the read-only LSR/MSR */
		break;
	}
}

static bool rx_waiting(struct vuart *uart)
{
	return __atomic_load_n(&uart->rx_head, __ATOMIC_ACQUIRE) != uart->rx_tail;
}

static uint8_t rx_take(struct vuart *uart)
{
	if (!rx_waiting(uart))
		return 0;
	uint8_t c = (uint8_t)uart->rx[uart->rx_tail % VUART_RX_SIZE];
	__atomic_store_n(&uart->rx_tail, uart->rx_tail + 1, __ATOMIC_RELEASE);
	if (!rx_waiting(uart))
		uart->rx_interrupt = false; /* drained: the next byte interrupts again */
	return c;
}

void vuart_poll_rx(struct vuart *uart)
{
	if (uart->raise_irq && (uart->ier & IER_RX_DATA) && !uart->rx_interrupt &&
	    rx_waiting(uart)) {
		uart->rx_interrupt = true;
		uart->raise_irq(uart->irq_ctx);
	}
}

bool vuart_receive(struct vuart *uart, char c)
{
	uint32_t head = uart->rx_head;
	if (head - __atomic_load_n(&uart->rx_tail, __ATOMIC_ACQUIRE) == VUART_RX_SIZE)
		return false;
	uart->rx[head % VUART_RX_SIZE] = c;
	__atomic_store_n(&uart->rx_head, head + 1, __ATOMIC_RELEASE);
	return true;
}

static uint8_t vuart_read_register(struct vuart *uart, unsigned reg)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA:
		if (dlab)
			return uart->dll;
		return rx_take(uart);
	case REG_IER:
		return dlab ? uart->dlm : uart->ier;
	case REG_IIR:
		if ((uart->ier & IER_RX_DATA) && rx_waiting(uart))
			return IIR_RX_DATA; /* the higher priority; reading RBR clears it */
		if (uart->thre_interrupt && (uart->ier & IER_THR_EMPTY)) {
			uart->thre_interrupt = false; /* reading IIR clears it, as on a 16550 */
			return IIR_THR_EMPTY;
		}
		return IIR_NO_INTERRUPT;
	case REG_LCR:
		return uart->lcr;
	case REG_MCR:
		return uart->mcr;
	case REG_LSR:
		return (console_guest_should_wait(&uart->budget) ? 0 : LSR_THRE_TEMT) |
		       (rx_waiting(uart) ? LSR_DATA_READY : 0);
	case REG_MSR:
		if (uart->mcr & MCR_LOOP) /* the 16550's loopback wiring, which drivers probe */
			return (uint8_t)((uart->mcr & 0x01) << 5 | (uart->mcr & 0x02) << 3 |
					 (uart->mcr & 0x04) << 4 | (uart->mcr & 0x08) << 4);
		return MSR_DCD_DSR_CTS;
	default:
		return uart->scr;
	}
}

void vuart_io(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct vuart *uart = device;
	unsigned reg = port & 7;
	/* A wider access touches consecutive registers, as on a real ISA bus. */
	if (write) {
		for (unsigned i = 0; i < size && reg + i < 8; i++)
			vuart_write_register(uart, reg + i, (uint8_t)(*value >> (8 * i)));
	} else {
		uint32_t v = 0xffffffffu;
		for (unsigned i = 0; i < size; i++) {
			uint32_t b = reg + i < 8 ? vuart_read_register(uart, reg + i) : 0xff;
			v = (v & ~(0xffu << (8 * i))) | (b << (8 * i));
		}
		*value = size == 4 ? v : v & ((1u << (8 * size)) - 1);
	}
}
