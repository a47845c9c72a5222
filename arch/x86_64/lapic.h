/*
 * The local APIC, in xAPIC (memory-mapped) or x2APIC (MSR) mode: this CPU's ID, its timer,
 * EOIs and IPIs. Callers never see the mode; lapic_mode.h has the pure decisions.
 */
#ifndef KAN_ARCH_LAPIC_H
#define KAN_ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/lapic_mode.h"

#define LAPIC_TIMER_VECTOR    0x20
#define LAPIC_SPURIOUS_VECTOR 0xff

/* Chooses the mode every CPU will use, on the boot CPU before its lapic_init. */
struct lapic_mode_choice lapic_select_mode(enum lapic_x2apic_option option, uint32_t max_apic_id);
enum lapic_mode lapic_mode(void);
/* Whether the firmware handed over in x2APIC mode (IA32_APIC_BASE.EXTD at boot). */
bool lapic_firmware_x2apic(void);
/* Enables this CPU's APIC in the chosen mode (x2APIC: via xAPIC, as the SDM requires). */
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Whether `vector` is in service at this LAPIC (delivered by it, not yet EOI'd). */
bool lapic_in_service(uint8_t vector);
/* The IRR's 32 bits for vectors 32*word .. 32*word+31: interrupts waiting to be delivered. */
uint32_t lapic_requested(unsigned word);
/* Measures the timer's rate against the TSC (whose rate kan knows); once, on the boot CPU. */
void lapic_timer_calibrate(uint64_t tsc_hz);
/* Fires LAPIC_TIMER_VECTOR once after `us` microseconds (0 stops it). */
void lapic_timer_oneshot(uint64_t us);
/* A fixed interrupt with `vector` to the CPU `apic_id` (lapic_can_address must hold). */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* A fixed interrupt with `vector` to this CPU (a self-test's stray interrupt). */
void lapic_send_self_ipi(uint8_t vector);
/* A non-maskable interrupt to the CPU `apic_id` (kan sends none but in a self-test). */
void lapic_send_nmi(uint32_t apic_id);
/* INIT alone: the CPU stops and waits for a start-up IPI (a CPU kan gave up on). */
void lapic_send_init(uint32_t apic_id);
/* INIT, then two start-up IPIs pointing at the page `vector` (physical vector << 12). */
void lapic_start_cpu(uint32_t apic_id, uint8_t vector);

#endif
