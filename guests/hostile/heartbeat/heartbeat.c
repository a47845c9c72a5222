/*
 * The guest that proves the rest of the machine is alive beside a hostile one: it works for
 * ms= milliseconds of kan's time and reports how much it did and the longest gap between two
 * of its beats (the longest time it was kept off its CPU). Its share of the CPU is kan's
 * cpu-time for it over the wall time it prints. It prints nothing while it beats, and its
 * lines go through KAN_HC_CONSOLE_WRITE: a console backed up by a flooding neighbour can
 * neither stretch its window nor make it spin after it, and each line reaches kan's log
 * when it is written, in order with kan's own lines.
 */
#include "guest.h"

#define LOOPS_PER_BEAT 1024

static uint64_t work(uint64_t seed)
{
	for (int i = 0; i < LOOPS_PER_BEAT; i++)
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return seed;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 2000);
	guest_console_use_hypercall();
	guest_printf("heartbeat: beating for %lu ms\n", ms);
	uint64_t start = kan_time_ns(), end = start + ms * 1000000;
	uint64_t beats = 0, by_quarter[4] = { 0 }, seed = info->vm_id, last = start;
	uint64_t longest_gap = 0, now;
	while ((now = kan_time_ns()) < end) {
		if (now - last > longest_gap)
			longest_gap = now - last;
		last = now;
		seed = work(seed);
		beats++;
		by_quarter[(now - start) * 4 / (end - start)]++;
	}
	guest_printf("heartbeat done: %lu beats in %lu us of wall time, longest gap %lu us (%lx); "
		     "by quarter %lu %lu %lu %lu\n",
		     beats, (now - start) / 1000, longest_gap / 1000, seed & 0xff, by_quarter[0],
		     by_quarter[1], by_quarter[2], by_quarter[3]);
	return 0;
}
