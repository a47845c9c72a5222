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

#endif
