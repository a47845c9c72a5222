#include "drivers/uart16550.h"
#include "arch/x86_64/cpu.h"

/* Register offsets from the 16550 data sheet. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7 /* scratch */
#define UART_DLL 0 /* with LCR.DLAB set */
#define UART_DLM 1

#define UART_IER_RDA  0x01 /* interrupt when a byte arrived */
#define UART_IER_THRE 0x02 /* interrupt when the transmitter is empty */
#define UART_LSR_DR   0x01 /* a received byte is waiting */
#define UART_MCR_OUT2 0x08 /* on PCs, gates the UART's interrupt line */
#define UART_MCR_LOOP 0x10
#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1  0x03
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_ABSENT   0xff /* what a read from a port nobody answers returns */

static uint16_t base; /* 0: no UART */

static bool scratch_holds(uint16_t port)
{
	for (uint8_t value = 0x5a;; value = 0xa5) {
		outb(port + UART_SCR, value);
		if (inb(port + UART_SCR) != value)
			return false;
		if (value == 0xa5)
			return true;
	}
}

/* In loopback, the modem status inputs (CTS DSR RI DCD) follow the outputs (RTS DTR OUT1
 * OUT2). */
static bool loopback_reflects(uint16_t port)
{
	uint8_t saved = inb(port + UART_MCR);
	outb(port + UART_MCR, UART_MCR_LOOP);
	bool low = (inb(port + UART_MSR) & 0xf0) == 0;
	outb(port + UART_MCR, UART_MCR_LOOP | 0x0f);
	bool high = (inb(port + UART_MSR) & 0xf0) == 0xf0;
	outb(port + UART_MCR, saved);
	return low && high;
}

bool uart_probe(uint16_t port)
{
	if (port == 0 || inb(port + UART_LSR) == UART_ABSENT)
		return false;
	return scratch_holds(port) || loopback_reflects(port);
}

void uart_init(uint16_t port, uint32_t baud)
{
	base = port;
	if (!base)
		return;
	uint32_t divisor = baud && baud <= UART_BAUD_MAX ? UART_BAUD_MAX / baud : 1;
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, UART_LCR_DLAB);
	outb(base + UART_DLL, (uint8_t)divisor);
	outb(base + UART_DLM, (uint8_t)(divisor >> 8));
	outb(base + UART_LCR, UART_LCR_8N1);
	outb(base + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(base + UART_MCR, 0x03); /* DTR, RTS */
}

uint16_t uart_port(void)
{
	return base;
}

unsigned uart_isa_irq(uint16_t port)
{
	switch (port) {
	case UART_COM1:
	case UART_COM3:
		return 4;
	case UART_COM2:
	case UART_COM4:
		return 3;
	default:
		return 0;
	}
}

const char *uart_port_name(uint16_t port)
{
	switch (port) {
	case UART_COM1:
		return "COM1";
	case UART_COM2:
		return "COM2";
	case UART_COM3:
		return "COM3";
	case UART_COM4:
		return "COM4";
	default:
		return 0;
	}
}

bool uart_tx_empty(void)
{
	/* No UART, or one that went away (reads 0xff, which has THRE set): never wait. */
	return !base || (inb(base + UART_LSR) & UART_LSR_THRE);
}

void uart_tx_burst(const char *bytes, size_t n)
{
	for (size_t i = 0; base && i < n && i < UART_FIFO_SIZE; i++)
		outb(base + UART_THR, (uint8_t)bytes[i]);
}

enum uart_event uart_next_event(void)
{
	if (!base)
		return UART_EVENT_NONE;
	uint8_t iir = inb(base + UART_FCR); /* IIR on reads; reading it clears THRE */
	if (iir & 0x01)
		return UART_EVENT_NONE;
	switch (iir & 0x0e) {
	case 0x04: /* received data */
	case 0x0c: /* receive FIFO timeout */
		return UART_EVENT_RECEIVED;
	case 0x02:
		return UART_EVENT_TX_EMPTY;
	case 0x06: /* line status: reading LSR clears it */
		(void)inb(base + UART_LSR);
		return UART_EVENT_OTHER;
	default: /* modem status: reading MSR clears it */
		(void)inb(base + UART_MSR);
		return UART_EVENT_OTHER;
	}
}

void uart_enable_interrupts(void)
{
	if (!base)
		return;
	outb(base + UART_MCR, 0x03 | UART_MCR_OUT2);
	outb(base + UART_IER, UART_IER_THRE | UART_IER_RDA);
}

int uart_getc(void)
{
	if (!base)
		return -1;
	uint8_t lsr = inb(base + UART_LSR);
	if (lsr == UART_ABSENT || !(lsr & UART_LSR_DR))
		return -1;
	return inb(base + UART_THR);
}

void uart_drain(void)
{
	for (int spins = 0; base && spins < 1000000; spins++) {
		if (inb(base + UART_LSR) & UART_LSR_TEMT)
			return;
		cpu_relax();
	}
}
