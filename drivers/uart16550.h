/* The host's 16550 UART on COM1: kan's console. Polled until interrupts are set up. */
#ifndef KAN_DRIVERS_UART16550_H
#define KAN_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stddef.h>

#define UART_COM1     0x3f8
#define UART_COM1_IRQ 4
#define UART_FIFO_SIZE 16

void uart_init(void);
/* Waits for room, then sends one byte. */
void uart_putc(char c);
/* True when the transmit FIFO is empty: up to UART_FIFO_SIZE bytes may go at once. */
bool uart_tx_empty(void);
/* Sends up to UART_FIFO_SIZE bytes without waiting; only after uart_tx_empty(). */
void uart_tx_burst(const char *bytes, size_t n);
/* Asks for an interrupt each time the transmit FIFO runs empty. */
void uart_enable_tx_interrupt(void);
/* Clears the UART's pending transmit interrupt (reads IIR). */
void uart_ack_interrupt(void);
/* Waits until every byte has left the UART (before the machine powers off). */
void uart_drain(void);

#endif
