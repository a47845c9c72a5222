/* The host's 16550 UART on COM1: kan's console, polled, transmit only. */
#ifndef KAN_DRIVERS_UART16550_H
#define KAN_DRIVERS_UART16550_H

#define UART_COM1 0x3f8

void uart_init(void);
void uart_putc(char c);
/* Waits until every byte has left the UART (before the machine powers off). */
void uart_drain(void);

#endif
