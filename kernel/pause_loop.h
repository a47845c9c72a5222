/*
 * The yield heuristic for a CPU that exits on every PAUSE but cannot spot a spin loop itself
 * (VT-x without PAUSE-loop exiting, AMD-V without the pause filter: QEMU's TCG, some nested
 * hypervisors): a vCPU that keeps pausing at one instruction is waiting for something a
 * sibling must do, so it gives its slice up. Worth it: without it a lock holder that lost its
 * CPU waits a whole slice of its waiter per hand-over; with it the waiter pays 16 exits, time
 * it would have spun anyway. A PAUSE elsewhere (a delay loop) costs an exit each and at worst
 * yields early, which a waiting loop may. Pure logic, unit-tested on the host.
 */
#ifndef KAN_KERNEL_PAUSE_LOOP_H
#define KAN_KERNEL_PAUSE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* PAUSE exits at one RIP, within one slice, that make a spin loop. A real loop pauses
 * thousands of times; an occasional PAUSE (a delay, a retry) rarely repeats this often. */
#define PAUSE_LOOP_EXITS 16

struct pause_loop {
	uint64_t rip;  /* where the last PAUSE exit was */
	unsigned seen; /* PAUSE exits in a row at rip in this slice */
};

/* At the start of a slice: what happened before the vCPU last gave up the CPU is forgotten. */
static inline void pause_loop_reset(struct pause_loop *p)
{
	p->seen = 0;
}

/* A PAUSE exit at `rip`: true if the vCPU spins and should yield (the count starts again). */
bool pause_loop_note(struct pause_loop *p, uint64_t rip);

#endif
