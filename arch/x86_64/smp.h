/* Starting the other CPUs: INIT-SIPI-SIPI to a trampoline that enters long mode. */
#ifndef KAN_ARCH_SMP_H
#define KAN_ARCH_SMP_H

#include <stdbool.h>
#include <stdint.h>

#define AP_TRAMPOLINE_ADDR 0x8000

typedef void (*ap_entry_fn)(unsigned cpu_index);

/* Copies the trampoline to AP_TRAMPOLINE_ADDR; once, before the first smp_start_cpu. */
void smp_prepare(uint64_t tsc_hz);
/*
 * Starts the CPU with `apic_id` on `stack_top`, running entry(cpu_index); true once it
 * called smp_report_started(), false if it did not within 200 ms (then it is sent INIT, which
 * stops it).
 */
bool smp_start_cpu(uint32_t apic_id, unsigned cpu_index, uint64_t stack_top, ap_entry_fn entry);
/* Called by the new CPU as soon as it runs C: releases smp_start_cpu. */
void smp_report_started(unsigned cpu_index);

#endif
