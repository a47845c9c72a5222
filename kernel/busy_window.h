/*
 * A share of a CPU over the last few seconds, as `top` shows it (the shell's `vm list` and
 * `cpu list`): the share in the last complete window of `length` TSC ticks, kept by the CPU
 * that does the work (busy_window_note after each slice or each look at its queue). Pure.
 */
#ifndef KAN_KERNEL_BUSY_WINDOW_H
#define KAN_KERNEL_BUSY_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct busy_window {
	uint64_t start_tsc, start_busy; /* where the current window began */
	uint64_t last_tsc;		/* the last note: a vCPU's last slice's end */
	uint32_t permille;		/* busy per mille of the last complete window */
	bool complete;			/* one window has ended */
};

/* `busy`: the TSC ticks spent so far (it only grows). Ends the window once `length` passed. */
static inline void busy_window_note(struct busy_window *w, uint64_t now, uint64_t busy,
				    uint64_t length)
{
	uint64_t span = now - w->start_tsc; /* the first note: span is huge */
	w->last_tsc = now;
	if (__builtin_expect(span < length && busy >= w->start_busy, 1))
		return; /* the common case, after every slice: keep it short */
	if (!w->start_tsc || now < w->start_tsc || busy < w->start_busy) {
		*w = (struct busy_window){ now, busy, now, 0, false };
		return;
	}
	uint64_t share = (busy - w->start_busy) * 1000 / span;
	w->permille = share > 1000 ? 1000 : (uint32_t)share;
	w->start_tsc = now;
	w->start_busy = busy;
	w->complete = true;
}

/* Per mille, for a reader on any CPU. Before the first window ends, or when the window is
 * overdue (a vCPU asleep or stopped is not run, so nothing ends its window), the share since
 * it began; nothing at all if it was not noted (did not run) for a whole window. */
static inline uint32_t busy_window_permille(const struct busy_window *w, uint64_t now,
					    uint64_t busy, uint64_t length)
{
	if (!w->start_tsc || now <= w->start_tsc || busy < w->start_busy)
		return 0;
	uint64_t span = now - w->start_tsc;
	if (w->complete && span < length)
		return w->permille;
	if (now - w->last_tsc >= length)
		return 0;
	uint64_t share = (busy - w->start_busy) * 1000 / span;
	return share > 1000 ? 1000 : (uint32_t)share;
}

#endif
