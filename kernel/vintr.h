/*
 * A vCPU's interrupts, whatever board its VM has: the one interface between the backends and
 * the interrupt controllers kernel/ models. Before entering the guest a backend asks whether
 * an interrupt waits and, when the guest can take one, takes its vector (the CPU's
 * acknowledge) and injects it; it learns when the next timer event is due, so that the slice
 * ends then. It knows nothing of the models behind: today the 8259 pair and 8254 of a
 * kind=linux VM.
 */
#ifndef KAN_KERNEL_VINTR_H
#define KAN_KERNEL_VINTR_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vm.h"

/* Whether the VM has an interrupt controller at all: without one the backends never ask. */
static inline bool vintr_present(const struct vcpu *vcpu)
{
	return vcpu->vm->has_intc;
}

/* Brings the vCPU's timers and devices up to now (interrupts that became due are raised). */
void vintr_update(struct vcpu *vcpu);
/* Whether a maskable interrupt waits for this vCPU (to ask for an interrupt window). */
bool vintr_pending(struct vcpu *vcpu);
/* The guest takes an interrupt now: its vector, moved from "requested" to "in service". */
bool vintr_ack(struct vcpu *vcpu, uint8_t *vector);
/* The TSC value at which the vCPU's next timer interrupt is due; UINT64_MAX if none. */
uint64_t vintr_next_event(struct vcpu *vcpu);

/* Whether a timer interrupt due inside a slice is delivered there (the slice timer fires at it
 * and the vCPU goes on): with local APICs. A VM on the 8259 and 8254 alone keeps the older
 * rule, its slice ends at its next tick (its Linux was measured with it). */
static inline bool vintr_ticks_in_slice(const struct vcpu *vcpu)
{
	return vcpu->vm->has_lapic;
}

/* The local APIC's MSRs (IA32_APIC_BASE, TSC_DEADLINE, x2APIC), where the VM has them. */
bool vintr_msr_owned(const struct vcpu *vcpu, uint32_t msr);
/* 0, or -1 when the guest gets #GP. */
int vintr_msr(struct vcpu *vcpu, uint32_t msr, bool write, uint64_t *value);
/* Whether `gpa` is this vCPU's xAPIC page (in xAPIC mode), and the access to it. */
bool vintr_lapic_page(const struct vcpu *vcpu, uint64_t gpa);
bool vintr_mmio(struct vcpu *vcpu, uint64_t gpa, unsigned size, bool write, uint64_t *value);
/* CR8 as the local APIC's TPR[7:4]; false if the VM has no local APIC (the backend keeps it). */
bool vintr_cr8(struct vcpu *vcpu, bool write, uint64_t *cr8);

#endif
