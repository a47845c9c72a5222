#include "kernel/runqueue.h"

#include <stdbool.h>
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

static void unlink(struct runqueue *q, struct vcpu *prev, struct vcpu *v)
{
	if (prev)
		prev->next_in_queue = v->next_in_queue;
	else
		q->head = v->next_in_queue;
	if (q->tail == v)
		q->tail = prev;
	v->next_in_queue = NULL;
	q->length--;
}

bool runqueue_remove(struct runqueue *q, struct vcpu *vcpu)
{
	struct vcpu *prev = NULL;
	for (struct vcpu *v = q->head; v; prev = v, v = v->next_in_queue) {
		if (v == vcpu) {
			unlink(q, prev, v);
			return true;
		}
	}
	return false;
}

struct vcpu *runqueue_pop_ready(struct runqueue *q, uint64_t now)
{
	struct vcpu *prev = NULL, *best = NULL, *best_prev = NULL;
	struct vcpu *reserved = NULL, *reserved_prev = NULL;
	uint64_t release = UINT64_MAX;
	for (struct vcpu *v = q->head; v; prev = v, v = v->next_in_queue) {
		struct share *s = &v->share;
		bool ready = v->wake_tsc <= now;
		if (s->policy.cap_pct | s->policy.period) { /* the default has neither */
			if (ready)
				share_roll(s, now);
			if (share_period_end(s) < release)
				release = share_period_end(s);
			if (ready && share_reserved(s)) {
				if (!reserved ||
				    share_period_end(s) < share_period_end(&reserved->share))
					reserved = v, reserved_prev = prev;
				continue;
			}
			if (share_eligible_at(s, now) > now)
				continue;
		}
		if (ready && (!best || share_vtime_before(s->vtime, best->share.vtime)))
			best = v, best_prev = prev;
	}
	q->next_release = release;
	if (reserved)
		best = reserved, best_prev = reserved_prev;
	if (!best)
		return NULL;
	unlink(q, best_prev, best);
	share_catch_up(&best->share, q->vclock);
	if (share_vtime_before(q->vclock, best->share.vtime))
		q->vclock = best->share.vtime;
	return best;
}

uint64_t runqueue_earliest_wake(const struct runqueue *q, uint64_t now)
{
	uint64_t earliest = UINT64_MAX;
	for (const struct vcpu *v = q->head; v; v = v->next_in_queue) {
		uint64_t at = v->wake_tsc > now ? v->wake_tsc : share_eligible_at(&v->share, now);
		if (at < earliest)
			earliest = at;
	}
	return earliest;
}
