/* One physical CPU's queue of runnable vCPUs: FIFO order, skipping those asleep after HLT. */
#ifndef KAN_KERNEL_RUNQUEUE_H
#define KAN_KERNEL_RUNQUEUE_H

#include <stdint.h>

#include "kernel/vm.h"

struct runqueue {
	struct vcpu *head, *tail;
	unsigned length;
};

void runqueue_push(struct runqueue *q, struct vcpu *vcpu);
/* Takes out the first vCPU whose wake_tsc has passed (`now`), or returns NULL. */
struct vcpu *runqueue_pop_ready(struct runqueue *q, uint64_t now);
/* The earliest wake_tsc in the queue; UINT64_MAX when it is empty. */
uint64_t runqueue_earliest_wake(const struct runqueue *q);

#endif
