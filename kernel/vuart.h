/* The virtual 16550 UART every VM has at COM1: its output becomes prefixed console lines. */
#ifndef KAN_KERNEL_VUART_H
#define KAN_KERNEL_VUART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VUART_LINE_MAX 200

struct vuart {
	const char *prefix; /* the VM's name */
	char line[VUART_LINE_MAX];
	size_t len;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
};

void vuart_init(struct vuart *uart, const char *prefix);
/* The I/O bus handler for ports base..base+7. */
void vuart_io(void *uart, uint16_t port, unsigned size, bool write, uint32_t *value);
/* Appends guest text (from the port or a hypercall), flushing at newlines. */
void vuart_write(struct vuart *uart, const char *text, size_t len);
/* Prints what is left of an unfinished line, e.g. when the VM ends. */
void vuart_flush(struct vuart *uart);

#endif
