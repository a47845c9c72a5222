/*
 * A real-time guest's own check of its reservation (budget= period= on its config line): it
 * spins for ms= milliseconds reading the TSC, and every jump between two reads longer than
 * a few microseconds is time it was kept off its CPU. A reservation kept means no gap longer
 * than period - budget (plus slack= microseconds for kan's switches), and at least
 * budget/period of the time on the CPU. It prints both and "ok" or "BAD", and exits with 0
 * or 1. The TSC's rate comes from kan's clock (KAN_HC_TIME) over the first 10 ms.
 */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 2000), budget = guest_arg(info, "budget_us", 2000);
	uint64_t period = guest_arg(info, "period_us", 10000),
		 slack = guest_arg(info, "slack", 500);
	guest_console_use_hypercall();

	uint64_t t0 = kan_time_ns(), c0 = guest_rdtsc(), t1;
	while ((t1 = kan_time_ns()) - t0 < 10000000)
		;
	uint64_t ticks_per_ms = (guest_rdtsc() - c0) * 1000000 / (t1 - t0);
	uint64_t threshold = ticks_per_ms / 200; /* 5 us: longer than any loop iteration */

	uint64_t start = guest_rdtsc(), end = start + ms * ticks_per_ms, last = start, now;
	uint64_t off = 0, longest = 0, gaps = 0;
	while ((now = guest_rdtsc()) < end) {
		uint64_t delta = now - last;
		if (delta > threshold) {
			off += delta;
			gaps++;
			if (delta > longest)
				longest = delta;
		}
		last = now;
	}
	uint64_t total = now - start, on = total - off;
	uint64_t longest_us = longest * 1000 / ticks_per_ms, limit_us = period - budget + slack;
	uint64_t on_permille = on * 1000 / total, due_permille = budget * 1000 / period;
	int ok = longest_us <= limit_us && on_permille + 5 >= due_permille;
	guest_printf("rtcheck: %lu ms, on its CPU %lu/1000 (due %lu/1000), %lu gaps, longest %lu "
		     "us (limit %lu us): %s\n",
		     total / ticks_per_ms, on_permille, due_permille, gaps, longest_us, limit_us,
		     ok ? "ok" : "BAD");
	return ok ? 0 : 1;
}
