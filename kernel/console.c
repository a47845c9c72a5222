/*
 * kan's console: whole lines into a ring buffer, never interleaved between CPUs. The UART
 * drains it: polled at first, then (console_use_interrupts) from its transmit interrupt, so
 * that nobody waits on a 115200-baud line while a guest's time slice runs. The screen, if
 * any, is drawn as each line is written: the same text, and no waiting on a line.
 */
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "drivers/framebuffer.h"
#include "drivers/uart16550.h"
#include "kernel/format.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

#include <stdarg.h>
#include <stdbool.h>

#define CONSOLE_RING_SIZE 16384 /* a power of two; more than a screenful of lines */

static struct spinlock console_lock;
static char ring[CONSOLE_RING_SIZE];
static uint64_t ring_head, ring_tail; /* bytes written in, bytes sent out */
static bool interrupt_driven;
static bool screen_on;
static console_input_fn input_handler;
static console_irq_handler also_polled;

void console_init(void)
{
	/* Until kan's command line and the ACPI tables are read, COM1 if it is there. */
	if (uart_probe(UART_COM1))
		uart_init(UART_COM1, UART_BAUD_MAX);
}

/* Where the last CONSOLE_RING_SIZE bytes written begin: what a new sink is shown first. */
static uint64_t history_start(void)
{
	return ring_head > CONSOLE_RING_SIZE ? ring_head - CONSOLE_RING_SIZE : 0;
}

static void drain_some_locked(void);

void console_attach(uint16_t serial_port, uint32_t baud, bool screen)
{
	spin_lock(&console_lock);
	if (serial_port != uart_port() && serial_port) {
		uart_init(serial_port, baud);
		ring_tail = history_start(); /* the new port gets the boot so far */
	} else if (!serial_port) {
		uart_init(0, 0);
	}
	if (screen && !screen_on) {
		/* The history in at most two pieces: up to the ring's end, then from its start. */
		for (uint64_t at = history_start(); at < ring_head;) {
			uint64_t offset = at % CONSOLE_RING_SIZE;
			uint64_t n = CONSOLE_RING_SIZE - offset;
			if (n > ring_head - at)
				n = ring_head - at;
			fb_write(&ring[offset], n);
			at += n;
		}
	}
	screen_on = screen;
	while (ring_tail != ring_head && !interrupt_driven)
		drain_some_locked();
	spin_unlock(&console_lock);
}

/* Sends what fits in the UART's FIFO right now; with the lock held. */
static void drain_some_locked(void)
{
	if (!uart_port()) {
		ring_tail = ring_head; /* nobody to send to; the ring keeps the history */
		return;
	}
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
	if (screen_on)
		fb_write(s, len);
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

size_t console_backlog(void)
{
	return (size_t)(__atomic_load_n(&ring_head, __ATOMIC_RELAXED) -
			__atomic_load_n(&ring_tail, __ATOMIC_RELAXED));
}

static bool guest_output_hidden;

size_t console_budget_available(const struct console_budget *budget)
{
	return console_budget_available_at(budget, rdtsc(), time_tsc_hz());
}

bool console_guest_should_wait(const struct console_budget *budget)
{
	/* Advice for the guest (its LSR): over its budget, or the line is far behind. */
	return !console_budget_available(budget) || ring_head - ring_tail > CONSOLE_RING_SIZE / 2;
}

void console_budget_spend(struct console_budget *budget, size_t bytes)
{
	console_budget_spend_at(budget, bytes, rdtsc(), time_tsc_hz());
}

void console_show_guest_output(bool show)
{
	guest_output_hidden = !show;
}

bool console_write_prefixed(const char *prefix, const char *text, size_t len)
{
	if (guest_output_hidden)
		return true;
	size_t plen = 0;
	while (prefix[plen])
		plen++;
	spin_lock(&console_lock);
	/* A guest never waits for the UART: if its line does not fit, it is dropped (and
	 * counted by the caller), so a flood costs only the flooder. Newlines become CRLF. */
	if (CONSOLE_RING_SIZE - (ring_head - ring_tail) < plen + len * 2 + 8) {
		spin_unlock(&console_lock);
		return false;
	}
	write_locked("[", 1);
	write_locked(prefix, plen);
	write_locked("] ", 2);
	write_locked(text, len);
	write_locked("\n", 1);
	spin_unlock(&console_lock);
	return true;
}

/* COM1's interrupt: take what arrived, send what is waiting, until the UART has no more. */
static bool console_interrupt(void)
{
	bool wants_attention = false;
	for (int rounds = 0; rounds < 64; rounds++) {
		enum uart_event event = uart_next_event();
		if (event == UART_EVENT_NONE)
			break;
		if (event == UART_EVENT_RECEIVED) {
			for (int c; (c = uart_getc()) >= 0;)
				if (input_handler && input_handler((char)c))
					wants_attention = true;
		} else if (event == UART_EVENT_TX_EMPTY) {
			spin_lock(&console_lock);
			drain_some_locked();
			spin_unlock(&console_lock);
		}
	}
	return wants_attention;
}

bool console_poll(void)
{
	/* An edge-triggered UART interrupt that got lost must not stall the console: the boot
	 * CPU also services the UART from its scheduler loop, at most once a millisecond. */
	static uint64_t next_poll;
	uint64_t now = rdtsc();
	if (!interrupt_driven || now < next_poll)
		return false;
	next_poll = now + time_tsc_hz() / 1000;
	bool wants_attention = console_interrupt();
	if (also_polled && also_polled())
		wants_attention = true;
	return wants_attention;
}

void console_poll_also(console_irq_handler poll)
{
	also_polled = poll;
}

console_irq_handler console_use_interrupts(console_input_fn on_input)
{
	spin_lock(&console_lock);
	interrupt_driven = true;
	input_handler = on_input;
	spin_unlock(&console_lock);
	return console_interrupt;
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
