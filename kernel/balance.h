/*
 * balance=on: which vCPU to move so that the CPUs' load evens out. Pure: the caller (CPU 0's
 * loop, about once a second) measures, this decides, the caller moves (kernel/vm_move.h).
 *
 * The busiest and the least busy CPU (by their share busy over the last window) are looked
 * at only when they differ by more than a threshold. A vCPU on the busiest that may run on
 * the least busy (its cpus=), fits there with its reservation and was not moved lately goes,
 * the one whose own share is closest to half the difference: it narrows the gap most. Moving
 * a vCPU busier than the gap would only turn the gap around; none goes then. Hysteresis: a
 * CPU that took part in a move lately (settling) is left alone until its window has
 * measured it again, and a vCPU moved lately stays.
 */
#ifndef KAN_KERNEL_BALANCE_H
#define KAN_KERNEL_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpuset.h"

#define BALANCE_THRESHOLD 250 /* per mille of a CPU: a smaller gap is left as it is */

struct balance_cpu {
	bool present;	       /* runs VMs */
	bool settling;	       /* a move lately: its busy share does not show it yet */
	uint32_t busy;	       /* per mille, over the last window */
	uint64_t reserved_ppm; /* what reservations on it take, in millionths */
};

struct balance_vcpu {
	unsigned cpu;	       /* where it runs */
	uint32_t busy;	       /* its share of that CPU, per mille, over the last window */
	struct cpuset allowed; /* its VM's cpus= */
	uint64_t reserved_ppm; /* its own reservation, in millionths (0: none) */
	bool settling;	       /* moved lately, or not movable now */
};

struct balance_move {
	unsigned vcpu; /* index into the vCPUs given */
	unsigned from, to;
};

/* Whether to move one of `vcpus` (count of them) between `cpus` (count of them), and which
 * to where in *out. */
bool balance_pick(const struct balance_cpu *cpus, unsigned cpu_count,
		  const struct balance_vcpu *vcpus, unsigned vcpu_count, uint32_t threshold,
		  struct balance_move *out);

#endif
