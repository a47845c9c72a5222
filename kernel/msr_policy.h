/*
 * Which MSRs a guest may touch, and how (docs/security.md). Every RDMSR/WRMSR exits; this
 * table decides; the backend carries it out. Nothing passes through to the hardware.
 */
#ifndef KAN_KERNEL_MSR_POLICY_H
#define KAN_KERNEL_MSR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vm.h"

enum msr_policy {
	MSR_REFUSE,	 /* #GP, as on a CPU without that MSR */
	MSR_GUEST_STATE, /* the guest's own copy, switched by the backend on entry and exit */
	MSR_EMULATED,	 /* kan answers with a fixed or computed value (reads only) */
};

/* Once, on the boot CPU: which of the guest-state MSRs this CPU has (TSC_AUX exists only
 * with RDTSCP or RDPID). */
void msr_policy_init(void);
/* Whether the CPU has IA32_TSC_AUX, so that a guest gets its own. */
bool msr_policy_has_tsc_aux(void);
enum msr_policy msr_policy(uint32_t msr, bool write);
/* The value of an MSR_EMULATED read. */
uint64_t msr_emulated_read(const struct vcpu *vcpu, uint32_t msr);
/* Whether `value` is acceptable for a guest-state MSR (else #GP). */
bool msr_value_valid(uint32_t msr, uint64_t value, uint64_t old_value, bool paging);

#endif
