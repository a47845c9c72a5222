#include "drivers/uart16550.h"
#include "arch/x86_64/cpu.h"

/* Register offsets from the 16550 data sheet. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0 /* with LCR.DLAB set */
#define UART_DLM 1

#define UART_IER_RDA  0x01 /* interrupt when a byte arrived */
#define UART_IER_THRE 0x02 /* interrupt when the transmitter is empty */
#define UART_LSR_DR   0x01 /* a received byte is waiting */
#define UART_MCR_OUT2 0x08 /* on PCs, gates the UART's interrupt line */
#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1  0x03
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

void uart_init(void)
{
	outb(UART_COM1 + UART_IER, 0x00);
	outb(UART_COM1 + UART_LCR, UART_LCR_DLAB);
	outb(UART_COM1 + UART_DLL, 1); /* 115200 baud */
	outb(UART_COM1 + UART_DLM, 0);
	outb(UART_COM1 + UART_LCR, UART_LCR_8N1);
	outb(UART_COM1 + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(UART_COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

bool uart_tx_empty(void)
{
	return inb(UART_COM1 + UART_LSR) & UART_LSR_THRE;
}

void uart_tx_burst(const char *bytes, size_t n)
{
	for (size_t i = 0; i < n && i < UART_FIFO_SIZE; i++)
		outb(UART_COM1 + UART_THR, (uint8_t)bytes[i]);
}

enum uart_event uart_next_event(void)
{
	uint8_t iir = inb(UART_COM1 + UART_FCR); /* IIR on reads; reading it clears THRE */
	if (iir & 0x01)
		return UART_EVENT_NONE;
	switch (iir & 0x0e) {
	case 0x04: /* received data */
	case 0x0c: /* receive FIFO timeout */
		return UART_EVENT_RECEIVED;
	case 0x02:
		return UART_EVENT_TX_EMPTY;
	case 0x06: /* line status: reading LSR clears it */
		(void)inb(UART_COM1 + UART_LSR);
		return UART_EVENT_OTHER;
	default: /* modem status: reading MSR clears it */
		(void)inb(UART_COM1 + 6);
		return UART_EVENT_OTHER;
	}
}

void uart_enable_interrupts(void)
{
	outb(UART_COM1 + UART_MCR, 0x03 | UART_MCR_OUT2);
	outb(UART_COM1 + UART_IER, UART_IER_THRE | UART_IER_RDA);
}

int uart_getc(void)
{
	if (!(inb(UART_COM1 + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(UART_COM1 + UART_THR);
}

void uart_drain(void)
{
	for (int spins = 0; spins < 1000000; spins++) {
		if (inb(UART_COM1 + UART_LSR) & UART_LSR_TEMT)
			return;
		cpu_relax();
	}
}
