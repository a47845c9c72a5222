/* What each physical CPU owns: its index, its run queue, its backend state, its stack. */
#ifndef KAN_KERNEL_PERCPU_H
#define KAN_KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/descriptors.h"
#include "kernel/busy_window.h"
#include "kernel/cpuset.h"
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
	/* Work another CPU needs done here, on the CPU that owns a vCPU's backend state
	 * (sched_call_on): one at a time, guarded by errand_lock. */
	struct spinlock errand_lock;
	void (*volatile errand)(void *arg);
	void *errand_arg;
	void *backend; /* the backend's per-CPU state (for VT-x: the VMXON region) */
	uint64_t busy_tsc, idle_tsc;
	struct busy_window recent; /* busy_tsc over the last RECENT_WINDOW_US (cpu list) */
	uint64_t ist_stack_top;	   /* an AP's, for its TSS */
	uint8_t tables[CPU_TABLES_SIZE] __attribute__((aligned(16))); /* an AP's GDT and TSS */
};

/* One per CPU kan may start, allocated at boot (percpu_reserve): kan's image does not grow
 * with KAN_MAX_CPUS. */
extern struct cpu *cpus;

/* Allocates cpus[0 .. count-1] (count <= KAN_MAX_CPUS); false without the memory. Once, on
 * the boot CPU, before percpu_init. */
bool percpu_reserve(unsigned count);
/* How many entries cpus[] has. */
unsigned percpu_count(void);
/* The CPUs that run VMs (started, with VT-x on). */
struct cpuset percpu_present(void);
bool percpu_is_present(unsigned index);
/* Binds this CPU to cpus[index] (kept in the GS base). */
void percpu_init(unsigned index, uint32_t apic_id);
void percpu_set_present(unsigned index);
/* The CPU this code runs on (kan keeps its index in the GS base). */
struct cpu *this_cpu(void);

#endif
