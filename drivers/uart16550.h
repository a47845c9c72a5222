/* The host's 16550 UART on COM1: kan's console. Polled until interrupts are set up. */
#ifndef KAN_DRIVERS_UART16550_H
#define KAN_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stddef.h>

#define UART_COM1      0x3f8
#define UART_COM1_IRQ  4
#define UART_FIFO_SIZE 16

void uart_init(void);
/* True when the transmit FIFO is empty: up to UART_FIFO_SIZE bytes may go at once. */
bool uart_tx_empty(void);
/* Sends up to UART_FIFO_SIZE bytes without waiting; only after uart_tx_empty(). */
void uart_tx_burst(const char *bytes, size_t n);
/* Asks for an interrupt each time the transmit FIFO runs empty and each time a byte arrives. */
void uart_enable_interrupts(void);
/* A received byte, or -1 if none is waiting. */
int uart_getc(void);
/* What the UART interrupts for, most urgent first; reading it clears that cause, except for
 * received data (read the bytes). The interrupt line is edge-triggered at the IOAPIC: a
 * handler loops until UART_EVENT_NONE, or the UART never raises it again. */
enum uart_event {
	UART_EVENT_NONE,
	UART_EVENT_RECEIVED,
	UART_EVENT_TX_EMPTY,
	UART_EVENT_OTHER,
};
enum uart_event uart_next_event(void);
/* Waits until every byte has left the UART (before the machine powers off). */
void uart_drain(void);

#endif
