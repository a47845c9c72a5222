/* The local APIC (xAPIC, memory-mapped): this CPU's ID, its timer, IPIs to start other CPUs. */
#ifndef KAN_ARCH_LAPIC_H
#define KAN_ARCH_LAPIC_H

#include <stdint.h>

#define LAPIC_TIMER_VECTOR    0x20
#define LAPIC_SPURIOUS_VECTOR 0xff

void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Measures the timer's rate against the TSC (whose rate kan knows); once, on the boot CPU. */
void lapic_timer_calibrate(uint64_t tsc_hz);
/* Fires LAPIC_TIMER_VECTOR once after `us` microseconds (0 stops it). */
void lapic_timer_oneshot(uint64_t us);
/* A fixed interrupt with `vector` to the CPU `apic_id`. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* A non-maskable interrupt to the CPU `apic_id` (kan sends none but in a self-test). */
void lapic_send_nmi(uint32_t apic_id);
/* INIT, then two start-up IPIs pointing at the page `vector` (physical vector << 12). */
void lapic_start_cpu(uint32_t apic_id, uint8_t vector);

#endif
