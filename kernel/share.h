/*
 * How much of its CPU a vCPU is owed: kernel/runqueue.c picks by it, kernel/sched.c charges
 * it. Pure: times are TSC ticks, given by the caller.
 *
 * - Weight and slice: the vCPUs on one CPU share it in proportion to weight x slice. A
 *   vCPU's virtual time advances by SHARE_TURN for every slice it ran at the default weight
 *   (less at a higher weight), and the CPU runs the ready vCPU whose virtual time is least,
 *   the first in queue order among equals. So vCPUs of equal weight take turns, one slice
 *   each, as plain round robin; weight 200 takes two slices a turn. A vCPU that slept comes
 *   back at most one turn behind the CPU's virtual clock: sleeping saves up no claim.
 * - Cap: in every cap window a vCPU runs at most cap_pct % of the window; then it waits for
 *   the next window, even on an idle CPU. Its runs are cut to what the window leaves.
 * - Reservation (budget, period): in every period a ready vCPU runs `budget` ticks before any
 *   vCPU without time reserved (earliest period end first among reservations), and runs on
 *   the reservation no longer than its budget. Beyond the budget it shares by weight like any
 *   other. A period that ends with budget left, without the vCPU having slept in it, is a
 *   missed one: counted, so a test and `vm info` can see it.
 */
#ifndef KAN_KERNEL_SHARE_H
#define KAN_KERNEL_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#define SHARE_WEIGHT_DEFAULT 100
#define SHARE_WEIGHT_MAX     10000
#define SHARE_CAP_WINDOW_US  100000	  /* cap= is measured over windows of 100 ms */
#define SHARE_TURN	     (1ull << 20) /* virtual time of one slice at the default weight */

struct share_policy {
	uint32_t weight;	 /* 1..SHARE_WEIGHT_MAX; 0 reads as the default */
	uint32_t cap_pct;	 /* 1..100 % of the CPU; 0: no cap */
	uint64_t cap_window;	 /* ticks of SHARE_CAP_WINDOW_US */
	uint64_t budget, period; /* ticks; period 0: no reservation */
	uint64_t slice;		 /* ticks of a normal run */
};

struct share {
	struct share_policy policy;
	uint64_t vtime;	      /* virtual time: see above */
	uint64_t turn;	      /* virtual time of one slice at its weight */
	uint64_t per_tick;    /* virtual time per TSC tick, 32.32 fixed point */
	uint64_t cap_allowed; /* ticks of its cap in every window */
	uint64_t cap_window_start, cap_used;
	uint64_t period_start, budget_left;
	bool slept; /* halted (or was off the queue) during the current period */
	uint64_t periods, missed;
};

/* A fresh account at `now`: no virtual time, a full budget and cap window. */
void share_init(struct share *s, const struct share_policy *p, uint64_t now);
/* A new policy (vm set), keeping the virtual time; a new reservation starts its first
 * period at `now`. */
void share_set_policy(struct share *s, const struct share_policy *p, uint64_t now);
/* Rolls the cap window and the reservation's period forward to `now` (share_roll: for a
 * vCPU with a cap or a reservation; the default has nothing to roll). */
void share_roll(struct share *s, uint64_t now);
static inline void share_advance(struct share *s, uint64_t now)
{
	if (s->policy.cap_pct | s->policy.period)
		share_roll(s, now);
}
/* Whether it has reserved time left in the current period (after share_advance). */
static inline bool share_reserved(const struct share *s)
{
	return s->policy.period && s->budget_left;
}
/* When its cap lets it run again: `now`, or the start of the next cap window. */
static inline uint64_t share_eligible_at(const struct share *s, uint64_t now)
{
	if (!s->policy.cap_pct || s->cap_used < s->cap_allowed)
		return now;
	return s->cap_window_start + s->policy.cap_window;
}
/* How long it may run from `now`: its slice, cut to what its cap window leaves, to its
 * budget when it runs on its reservation, and to the end of its period (the cutting is
 * share_limit_by_policy's). */
uint64_t share_limit_by_policy(const struct share *s, uint64_t now);
static inline uint64_t share_run_limit(const struct share *s, uint64_t now)
{
	if (!(s->policy.cap_pct | s->policy.period))
		return s->policy.slice;
	return share_limit_by_policy(s, now);
}
/* The end of its current period, when its budget comes back; UINT64_MAX without one. */
static inline uint64_t share_period_end(const struct share *s)
{
	return s->policy.period ? s->period_start + s->policy.period : UINT64_MAX;
}
/* It ran `ran` ticks. */
static inline void share_charge(struct share *s, uint64_t ran)
{
	s->vtime += (uint64_t)((unsigned __int128)ran * s->per_tick >> 32);
	s->cap_used += ran;
	if (s->policy.period)
		s->budget_left = ran < s->budget_left ? s->budget_left - ran : 0;
}
/* It halted (or left the run queue): a period it leaves unused is not a missed one. */
static inline void share_sleep(struct share *s)
{
	s->slept = true;
}
/* It gave its CPU away (a yield: a hypercall, a PAUSE loop): that ends its turn as a whole
 * slice would, as in round robin, so the others run before it again. `vtime_before` is its
 * virtual time before this run's charge. */
static inline void share_end_turn(struct share *s, uint64_t vtime_before)
{
	if (s->vtime - vtime_before < s->turn)
		s->vtime = vtime_before + s->turn;
}
/* vtime a before b, robust to wrapping. */
static inline bool share_vtime_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

/* The virtual time a vCPU picked at the CPU's virtual clock `vclock` goes on from: one that
 * fell further behind (it slept) is brought to one turn behind. */
static inline void share_catch_up(struct share *s, uint64_t vclock)
{
	if (share_vtime_before(s->vtime + s->turn, vclock))
		s->vtime = vclock - s->turn;
}

#endif
