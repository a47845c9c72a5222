/* What each physical CPU owns: its index, its run queue, its backend state, its stack. */
#ifndef KAN_KERNEL_PERCPU_H
#define KAN_KERNEL_PERCPU_H

#include <stdint.h>

#include "kernel/limits.h"

struct vcpu;

struct cpu {
	unsigned index;
	uint32_t apic_id;
	struct vcpu *queue_head, *queue_tail; /* runnable vCPUs pinned here, round-robin */
	struct vcpu *current;
	void *backend; /* the backend's per-CPU state (for VT-x: the VMXON region) */
	uint64_t busy_tsc, idle_tsc;
};

extern struct cpu cpus[KAN_MAX_CPUS];

/* Bitmask of the CPUs kan has brought up. */
uint64_t percpu_present_mask(void);
void percpu_set_present(unsigned index, uint32_t apic_id);
/* The CPU this code runs on (kan keeps its index in the GS base). */
struct cpu *this_cpu(void);

#endif
