#include "kernel/share.h"

/* What the picks and charges need, worked out once per policy rather than at every switch. */
static void derive(struct share *s)
{
	const struct share_policy *p = &s->policy;
	uint32_t weight = p->weight ? p->weight : SHARE_WEIGHT_DEFAULT;
	s->turn = SHARE_TURN * SHARE_WEIGHT_DEFAULT / weight;
	s->per_tick = (s->turn << 32) / (p->slice ? p->slice : 1);
	s->cap_allowed = p->cap_window / 100 * p->cap_pct;
}

void share_init(struct share *s, const struct share_policy *p, uint64_t now)
{
	*s = (struct share){ .policy = *p };
	derive(s);
	s->cap_window_start = now;
	s->period_start = now;
	s->budget_left = p->period ? p->budget : 0;
}

void share_set_policy(struct share *s, const struct share_policy *p, uint64_t now)
{
	bool new_reservation = p->period != s->policy.period || p->budget != s->policy.budget;
	s->policy = *p;
	derive(s);
	if (new_reservation) {
		s->period_start = now;
		s->budget_left = p->period ? p->budget : 0;
		s->slept = false;
	}
}

void share_roll(struct share *s, uint64_t now)
{
	const struct share_policy *p = &s->policy;
	if (p->cap_pct && p->cap_window && now - s->cap_window_start >= p->cap_window) {
		s->cap_window_start += (now - s->cap_window_start) / p->cap_window * p->cap_window;
		s->cap_used = 0;
	}
	if (!p->period || now - s->period_start < p->period)
		return;
	/* The CPU looks at every queued vCPU at every pick, and no run outlasts a period: when
	 * more than one period passed unseen, the vCPU was off the queue (not started, paused,
	 * stopped), and its reservation starts afresh now. */
	uint64_t ended = (now - s->period_start) / p->period;
	if (ended == 1) {
		s->periods++;
		if (s->budget_left && !s->slept)
			s->missed++;
		s->period_start += p->period;
	} else {
		s->period_start = now;
	}
	s->budget_left = p->budget;
	s->slept = false;
}

uint64_t share_limit_by_policy(const struct share *s, uint64_t now)
{
	const struct share_policy *p = &s->policy;
	uint64_t limit = p->slice;
	if (p->cap_pct) {
		uint64_t left = s->cap_used < s->cap_allowed ? s->cap_allowed - s->cap_used : 0;
		if (left < limit)
			limit = left;
	}
	if (share_reserved(s) && s->budget_left < limit)
		limit = s->budget_left;
	/* A run ends with its period, so that the next period's budget is counted afresh. */
	uint64_t end = share_period_end(s);
	if (end > now && end - now < limit)
		limit = end - now;
	return limit;
}
