/* The virtual 16550 UART every VM has at COM1: its output becomes prefixed console lines. */
#ifndef KAN_KERNEL_VUART_H
#define KAN_KERNEL_VUART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/console.h"

#define VUART_LINE_MAX 200
#define VUART_RX_SIZE  64 /* a power of two */

struct vuart {
	const char *prefix; /* the VM's name */
	char line[VUART_LINE_MAX];
	size_t len;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	struct console_budget budget; /* how fast this guest may print */
	/* Interrupts, for guests with an interrupt controller (Linux's 8250 driver). */
	void (*raise_irq)(void *ctx);
	void *irq_ctx;
	bool thre_interrupt;	/* "transmitter empty" waits to be read from IIR */
	bool rx_interrupt;	/* "data received" was signalled and RBR is not yet drained */
	uint64_t bytes_dropped; /* written to THR while LSR said busy, or lines the console refused
				 */
	/* What the shell's console command types into the VM: one writer (the shell's CPU), one
	 * reader (the VM's CPU). */
	char rx[VUART_RX_SIZE];
	uint32_t rx_head, rx_tail;
};

void vuart_init(struct vuart *uart, const char *prefix);
/* The I/O bus handler for ports base..base+7. */
void vuart_io(void *uart, uint16_t port, unsigned size, bool write, uint32_t *value);
/* Appends guest text (from the port or a hypercall), flushing at newlines. */
void vuart_write(struct vuart *uart, const char *text, size_t len);
/* For KAN_HC_CONSOLE_WRITE: takes as much of `text` as the guest's budget allows right now;
 * returns how many bytes that was. */
size_t vuart_write_budgeted(struct vuart *uart, const char *text, size_t len);
/* Prints what is left of an unfinished line, e.g. when the VM ends. */
void vuart_flush(struct vuart *uart);
/* Queues a byte for the guest to read from RBR; false if its FIFO is full. Any CPU. */
bool vuart_receive(struct vuart *uart, char c);
/* On the VM's CPU, before it enters the guest: raises the "data received" interrupt if bytes
 * arrived, the guest enabled that interrupt, and it was not raised for them already. */
void vuart_poll_rx(struct vuart *uart);

#endif
