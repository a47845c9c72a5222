#include "kernel/runqueue.h"

#include <stddef.h>

void runqueue_push(struct runqueue *q, struct vcpu *vcpu)
{
	vcpu->next_in_queue = NULL;
	if (q->tail)
		q->tail->next_in_queue = vcpu;
	else
		q->head = vcpu;
	q->tail = vcpu;
	q->length++;
}

struct vcpu *runqueue_pop_ready(struct runqueue *q, uint64_t now)
{
	struct vcpu *prev = NULL;
	for (struct vcpu *v = q->head; v; prev = v, v = v->next_in_queue) {
		if (v->wake_tsc > now)
			continue;
		if (prev)
			prev->next_in_queue = v->next_in_queue;
		else
			q->head = v->next_in_queue;
		if (q->tail == v)
			q->tail = prev;
		v->next_in_queue = NULL;
		q->length--;
		return v;
	}
	return NULL;
}

uint64_t runqueue_earliest_wake(const struct runqueue *q)
{
	uint64_t earliest = UINT64_MAX;
	for (const struct vcpu *v = q->head; v; v = v->next_in_queue)
		if (v->wake_tsc < earliest)
			earliest = v->wake_tsc;
	return earliest;
}
