/*
 * Moving a running vCPU to another physical CPU (vm move, vm set cpus=, balance=on): the
 * guest goes on where it was; its CPU lets go of it (backend_vcpu_unload, on that CPU) before
 * the new one's queue gets it, and the backend loads it there at its next run.
 */
#ifndef KAN_KERNEL_VM_MOVE_H
#define KAN_KERNEL_VM_MOVE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/cpuset.h"
#include "kernel/vm.h"

/* What the last move cost, in TSC ticks on the CPU that asked (Bochs: instructions). */
struct vm_move_cost {
	uint64_t errand; /* on the old CPU: off its queue, unloaded, onto the new queue */
	uint64_t total;	 /* the whole request, waiting for the old CPU included */
};
extern struct vm_move_cost vm_move_last_cost;

/* Moves vCPU `index` of `vm` to physical CPU `to` and prints "moved from cpu A to cpu B".
 * Refused (-1, the reason naming what is wrong in `error`) unless the VM is running with
 * nothing else under way, `to` is in its cpus= and has room for its reservation. */
int vm_move(struct vm *vm, unsigned index, unsigned to, char *error, size_t error_size);

/* The same for balance=on: vCPU `v` to `to`, printing `why` after the move; a refusal is
 * printed. 0, or -1. */
int vm_move_because(struct vcpu *v, unsigned to, const char *why);

/* For vm set: where each vCPU of `vm` runs under `next` (its cpus= and reservation): where
 * it is, if allowed, else the allowed CPU with the fewest vCPUs that has room. 0, or -1 with
 * the refusal in `error`. */
int vm_move_plan(const struct vm *vm, const struct vm_config *next, unsigned where[], char *error,
		 size_t error_size);
/* Carries the plan out: moves every vCPU not yet where[] says. */
void vm_move_apply(struct vm *vm, const unsigned where[]);

#endif
