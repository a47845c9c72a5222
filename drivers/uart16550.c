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

#define UART_IER_THRE 0x02 /* interrupt when the transmitter is empty */
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

void uart_putc(char c)
{
	/* A missing UART reads 0xff: THRE looks set, so we never spin forever. */
	for (int spins = 0; spins < 100000; spins++) {
		if (inb(UART_COM1 + UART_LSR) & UART_LSR_THRE)
			break;
		cpu_relax();
	}
	outb(UART_COM1 + UART_THR, (uint8_t)c);
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

void uart_ack_interrupt(void)
{
	(void)inb(UART_COM1 + UART_FCR); /* reading IIR clears a pending THRE interrupt */
}

void uart_enable_tx_interrupt(void)
{
	outb(UART_COM1 + UART_MCR, 0x03 | UART_MCR_OUT2);
	outb(UART_COM1 + UART_IER, UART_IER_THRE);
}

void uart_drain(void)
{
	for (int spins = 0; spins < 1000000; spins++) {
		if (inb(UART_COM1 + UART_LSR) & UART_LSR_TEMT)
			return;
		cpu_relax();
	}
}
