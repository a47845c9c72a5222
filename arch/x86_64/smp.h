/* Starting the other CPUs: INIT-SIPI-SIPI to a trampoline that enters long mode. */
#ifndef KAN_ARCH_SMP_H
#define KAN_ARCH_SMP_H

#include <stdbool.h>
#include <stdint.h>

#define AP_TRAMPOLINE_ADDR 0x8000

typedef void (*ap_entry_fn)(unsigned cpu_index);

/* Copies the trampoline to AP_TRAMPOLINE_ADDR; once, before the first smp_start_cpu. */
void smp_prepare(uint64_t tsc_hz);
enum smp_start {
	SMP_STARTED,
	SMP_NOT_STARTED, /* not within its window; sent INIT, and it can never run this start
			  * (it may be offered a new one) */
	SMP_LOST, /* it took the start, did not report within 10 windows, was sent INIT: start no
		   * more */
};
/*
 * Starts the CPU with `apic_id` on `stack_top`, running entry(cpu_index). The CPU claims the
 * start in the trampoline before it touches the stack or the index; kan revokes an unclaimed
 * start when its window ends. So a CPU late for its window can never run on the next CPU's
 * stack, or on a trampoline kan has unmapped. The window is `window_ms` long.
 */
enum smp_start smp_start_cpu(uint32_t apic_id, unsigned cpu_index, uint64_t stack_top,
			     ap_entry_fn entry, unsigned window_ms);
/* Called by the new CPU as soon as it runs C: releases smp_start_cpu. */
void smp_report_started(unsigned cpu_index);

#endif
