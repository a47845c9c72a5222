/* Round-robin scheduling of vCPUs on the physical CPU each is pinned to. */
#ifndef KAN_KERNEL_SCHED_H
#define KAN_KERNEL_SCHED_H

#include "kernel/vm.h"

/* Puts a new, running VM's vCPU on its CPU's run queue. */
void sched_add(struct vcpu *vcpu);
/* This CPU's loop: run the next vCPU for its slice, forever; ends kan when all VMs ended. */
__attribute__((noreturn)) void sched_run(void);

#endif
