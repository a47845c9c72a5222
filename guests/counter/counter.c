/*
 * A CPU-bound guest: counts work loops for ms= milliseconds of kan's time, reporting progress,
 * then prints how much it did. Its CPU time over that wall time is its share of the CPU.
 */
#include "guest.h"

#define LOOPS_PER_CHECK 2048

static uint64_t work(uint64_t seed)
{
	for (int i = 0; i < LOOPS_PER_CHECK; i++)
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return seed;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 1000);
	uint64_t start = kan_time_ns(), end = start + ms * 1000000;
	uint64_t quarter = (end - start) / 4, next_report = start + quarter;
	uint64_t checks = 0, seed = info->vm_id, now;
	guest_printf("counter: counting for %lu ms\n", ms);
	while ((now = kan_time_ns()) < end) {
		seed = work(seed);
		checks++;
		if (now >= next_report) {
			guest_printf("counter: %lu%% of the time, %lu loops\n",
				     (now - start) * 100 / (end - start), checks * LOOPS_PER_CHECK);
			next_report += quarter;
		}
	}
	guest_printf("counter done: %lu loops in %lu us of wall time (%lx)\n",
		     checks * LOOPS_PER_CHECK, (now - start) / 1000, seed & 0xff);
	return 0;
}
