/* kan's console: whole lines to the serial port, never interleaved between CPUs. */
#ifndef KAN_KERNEL_CONSOLE_H
#define KAN_KERNEL_CONSOLE_H

#include <stddef.h>

void console_init(void);
/* Formats one message and writes it atomically; kan's own lines start with "kan: ". */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes "[prefix] text\n" as one line: how a guest's output reaches the console. */
void console_write_prefixed(const char *prefix, const char *text, size_t len);
/* For panic paths: take the console even if a CPU died holding it, and write synchronously. */
void console_force_unlock(void);
/* Switches to interrupt-driven output; the caller routes the UART's interrupt to the
 * returned handler. */
typedef void (*console_irq_handler)(void);
console_irq_handler console_use_interrupts(void);
/* Sends everything buffered, then waits for the UART to finish (before powering off). */
void console_flush(void);

#endif
