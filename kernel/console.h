/* kan's console: whole lines to the serial port and the screen, never interleaved between CPUs. */
#ifndef KAN_KERNEL_CONSOLE_H
#define KAN_KERNEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Early: COM1 if a UART answers there. Lines are kept until console_attach says where. */
void console_init(void);
/* Sends the console to the UART at `serial_port` (0: none) and to the screen if `screen`
 * (after fb_init); a sink that is new gets the last lines written so far first. */
void console_attach(uint16_t serial_port, uint32_t baud, bool screen);
/* Formats one message and writes it atomically; kan's own lines start with "kan: ". */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes "[prefix] text\n" as one line: how a guest's output reaches the console. Never
 * waits: false if the line was dropped because the console is full. */
bool console_write_prefixed(const char *prefix, const char *text, size_t len);
/*
 * What one guest may send to the console: a sustained rate with a burst, like a real line
 * (GCRA). A guest over its budget sees its UART busy; it waits on its own CPU time.
 */
struct console_budget {
	uint64_t next_tsc; /* when the budget is spent up to now */
};
/* Each guest may send 4 KiB/s, in bursts of 2 KiB: a third of a 115200-baud line. */
#define CONSOLE_GUEST_BYTES_PER_SECOND 4096u
#define CONSOLE_GUEST_BURST_BYTES      2048u
/* The budget itself (kernel/console_budget.c), at TSC time `now` with the TSC at `tsc_hz`. */
size_t console_budget_available_at(const struct console_budget *budget, uint64_t now,
				   uint64_t tsc_hz);
void console_budget_spend_at(struct console_budget *budget, size_t bytes, uint64_t now,
			     uint64_t tsc_hz);
/* The same now, by kan's clock. How many bytes the guest may send (0 when over budget). */
size_t console_budget_available(const struct console_budget *budget);
/* Whether its UART should look busy: over budget, or the console is far behind. Advice
 * only: a byte within budget is taken even if the console filled since the guest looked. */
bool console_guest_should_wait(const struct console_budget *budget);
void console_budget_spend(struct console_budget *budget, size_t bytes);

/* Whether guests' lines reach the console (the shell's log quiet hides them). */
void console_show_guest_output(bool show);
/* For panic paths: take the console even if a CPU died holding it, and write synchronously. */
void console_force_unlock(void);
/* Switches to interrupt-driven output and input; the caller routes the UART's interrupt to
 * the returned handler. Each received byte goes to `on_input`, which returns true when the
 * scheduler should look (a command line is complete). */
typedef bool (*console_input_fn)(char c);
typedef bool (*console_irq_handler)(void);
console_irq_handler console_use_interrupts(console_input_fn on_input);
/* Services the UART as its interrupt would (the scheduler calls it); true if a command line
 * is complete. */
bool console_poll(void);
/* Another input (the keyboard) that console_poll services too, in case an edge was lost. */
void console_poll_also(console_irq_handler poll);
/* Bytes written but not yet sent: a long writer (trace dump) paces itself by it. */
size_t console_backlog(void);
/* Sends everything buffered, then waits for the UART to finish (before powering off). */
void console_flush(void);

#endif
