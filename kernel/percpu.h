/* What each physical CPU owns: its index, its run queue, its backend state, its stack. */
#ifndef KAN_KERNEL_PERCPU_H
#define KAN_KERNEL_PERCPU_H

#include <stdint.h>

#include "kernel/limits.h"
#include "kernel/runqueue.h"
#include "kernel/spinlock.h"

struct cpu {
	unsigned index;
	uint32_t apic_id;
	struct runqueue queue;	    /* the vCPUs placed on this CPU, round-robin */
	struct spinlock queue_lock; /* other CPUs add to the queue (shell commands) */
	unsigned vcpus;		    /* how many vCPUs were placed here */
	struct vcpu *current;
	void *backend; /* the backend's per-CPU state (for VT-x: the VMXON region) */
	uint64_t busy_tsc, idle_tsc;
};

extern struct cpu cpus[KAN_MAX_CPUS];

/* Bitmask of the CPUs that run VMs (started, with VT-x on). */
uint64_t percpu_present_mask(void);
/* Binds this CPU to cpus[index] (kept in the GS base). */
void percpu_init(unsigned index, uint32_t apic_id);
void percpu_set_present(unsigned index);
/* The CPU this code runs on (kan keeps its index in the GS base). */
struct cpu *this_cpu(void);

#endif
