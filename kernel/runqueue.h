/*
 * One physical CPU's queue of vCPUs. Which one runs next (kernel/share.h has the rules):
 * a ready vCPU with reserved time left, earliest period end first; else the ready vCPU
 * whose cap lets it run with the least virtual time, the first in queue order among equals.
 * Ready: its sleep after HLT (wake_tsc) is over.
 */
#ifndef KAN_KERNEL_RUNQUEUE_H
#define KAN_KERNEL_RUNQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vm.h"

struct runqueue {
	struct vcpu *head, *tail;
	unsigned length;
	uint64_t vclock;       /* the virtual time of the last vCPU picked: never goes back */
	uint64_t next_release; /* the earliest period end seen by the last pick */
};

void runqueue_push(struct runqueue *q, struct vcpu *vcpu);
/* Takes `vcpu` out of the queue wherever it is (vm move); false if it was not there. */
bool runqueue_remove(struct runqueue *q, struct vcpu *vcpu);
/* Takes out the vCPU to run at `now` (rolling every queued vCPU's share forward), or
 * returns NULL when none may run. */
struct vcpu *runqueue_pop_ready(struct runqueue *q, uint64_t now);
/* When a vCPU in the queue may run next, after runqueue_pop_ready found none at `now`: the
 * earliest end of a sleep or of a cap's wait; UINT64_MAX when the queue is empty. */
uint64_t runqueue_earliest_wake(const struct runqueue *q, uint64_t now);
/* The earliest end of a period among the vCPUs with a reservation that were queued at the
 * last pick, the picked one included (UINT64_MAX if none): the picked vCPU's run must end by
 * then, so that the reservation's budget comes first. Kept by runqueue_pop_ready, which
 * looks at every queued vCPU anyway. */
static inline uint64_t runqueue_next_release(const struct runqueue *q)
{
	return q->next_release;
}

#endif
