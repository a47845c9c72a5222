/*
 * kan's console: whole lines into a ring buffer, never interleaved between CPUs. The UART
 * drains it: polled at first, then (console_use_interrupts) from its transmit interrupt, so
 * that nobody waits on a 115200-baud line while a guest's time slice runs.
 */
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "drivers/uart16550.h"
#include "kernel/format.h"
#include "kernel/spinlock.h"

#include <stdarg.h>
#include <stdbool.h>

#define CONSOLE_RING_SIZE 16384 /* a power of two; more than a screenful of lines */

static struct spinlock console_lock;
static char ring[CONSOLE_RING_SIZE];
static uint64_t ring_head, ring_tail; /* bytes written in, bytes sent out */
static bool interrupt_driven;

void console_init(void)
{
	uart_init();
}

/* Sends what fits in the UART's FIFO right now; with the lock held. */
static void drain_some_locked(void)
{
	if (ring_tail == ring_head || !uart_tx_empty())
		return;
	char burst[UART_FIFO_SIZE];
	size_t n = 0;
	while (n < UART_FIFO_SIZE && ring_tail != ring_head)
		burst[n++] = ring[ring_tail++ % CONSOLE_RING_SIZE];
	uart_tx_burst(burst, n);
}

static void put_locked(char c)
{
	/* Full: wait for the UART rather than lose output. */
	while (ring_head - ring_tail == CONSOLE_RING_SIZE) {
		drain_some_locked();
		cpu_relax();
	}
	ring[ring_head++ % CONSOLE_RING_SIZE] = c;
}

static void write_locked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			put_locked('\r');
		put_locked(s[i]);
	}
	if (interrupt_driven)
		drain_some_locked(); /* starts the transmitter; its interrupt does the rest */
	else
		while (ring_tail != ring_head)
			drain_some_locked();
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	spin_lock(&console_lock);
	write_locked(buf, (size_t)n);
	spin_unlock(&console_lock);
}

void console_write_prefixed(const char *prefix, const char *text, size_t len)
{
	size_t plen = 0;
	while (prefix[plen])
		plen++;
	spin_lock(&console_lock);
	write_locked("[", 1);
	write_locked(prefix, plen);
	write_locked("] ", 2);
	write_locked(text, len);
	write_locked("\n", 1);
	spin_unlock(&console_lock);
}

static void console_tx_interrupt(void)
{
	spin_lock(&console_lock);
	uart_ack_interrupt();
	drain_some_locked();
	spin_unlock(&console_lock);
}

console_irq_handler console_use_interrupts(void)
{
	spin_lock(&console_lock);
	interrupt_driven = true;
	spin_unlock(&console_lock);
	return console_tx_interrupt;
}

void console_flush(void)
{
	spin_lock(&console_lock);
	while (ring_tail != ring_head)
		drain_some_locked();
	spin_unlock(&console_lock);
	uart_drain();
}

void console_force_unlock(void)
{
	spin_unlock(&console_lock);
	interrupt_driven = false; /* from here on, every line goes out before printk returns */
}
