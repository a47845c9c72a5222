/* Round-robin scheduling of vCPUs on the physical CPU each is pinned to. */
#ifndef KAN_KERNEL_SCHED_H
#define KAN_KERNEL_SCHED_H

#include "kernel/vm.h"

#include <stdbool.h>

/* Once, on the boot CPU: whether kan keeps running when no VM runs (on_empty=wait). */
void sched_init(bool keep_running_when_empty);
/* Puts a VM that just started on its CPU's run queue. */
void sched_add(struct vcpu *vcpu);
/* Puts a vCPU on its CPU's run queue, from any CPU. */
void sched_enqueue(struct vcpu *vcpu);
/* Ends a halted vCPU's sleep early (input arrived for it), from any CPU. */
void sched_wake(struct vcpu *vcpu);
/* A new interrupt for `vcpu`, from any CPU: a halted vCPU wakes, and a running one takes it
 * without losing its slice. */
void sched_notify(struct vcpu *vcpu);
/* Makes `cpu` look at its run queue now (an IPI, unless it is this CPU). */
void sched_kick(unsigned cpu);
/* Runs fn(arg) on `cpu`, from its scheduler loop (so that none of its vCPUs is in the guest),
 * and returns when it is done. Errands sent to this CPU meanwhile are run while it waits. */
void sched_call_on(unsigned cpu, void (*fn)(void *arg), void *arg);
/* This CPU's loop: run the next vCPU for its slice, forever; ends kan when all VMs ended. */
__attribute__((noreturn)) void sched_run(void);

#endif
