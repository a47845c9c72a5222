/* The host's 16550 UART, at whichever I/O port kan's console chose: kan's serial console.
 * Polled until interrupts are set up. With no port chosen, every call does nothing. */
#ifndef KAN_DRIVERS_UART16550_H
#define KAN_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1      0x3f8
#define UART_COM2      0x2f8
#define UART_COM3      0x3e8
#define UART_COM4      0x2e8
#define UART_FIFO_SIZE 16
#define UART_BAUD_MAX  115200

/* Whether a UART answers at `port`: its scratch register keeps a value, or its loopback
 * mode reflects the modem lines. An absent port reads 0xff and fails both, without waiting. */
bool uart_probe(uint16_t port);
/* Makes the UART at `port` kan's (0: none) and sets it to `baud` 8N1, polled. */
void uart_init(uint16_t port, uint32_t baud);
/* The port in use, or 0. */
uint16_t uart_port(void);
/* The ISA IRQ a PC wires to this port: 4 for COM1 and COM3, 3 for COM2 and COM4, else 0. */
unsigned uart_isa_irq(uint16_t port);
/* "COM2" for the four standard ports, else NULL. */
const char *uart_port_name(uint16_t port);
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
