/*
 * A counter that checks its own continuity while kan moves it between CPUs (vm move): every
 * loop it counts one up and keeps the count in three places a move must carry over: memory,
 * CR2 and XMM0 (the last two are state kan hands from vCPU to vCPU on a CPU lazily, not on
 * every exit). After a hypercall and some work it reads them back: a copy that differs from
 * the count (a gap or a repeat) or a TSC that went back prints BAD. Every report= loops it prints
 * its count and "ok" or "BAD"; it runs for ms= milliseconds of kan's time.
 */
#include "guest.h"

#define CR4_OSFXSR (1ull << 9)

static volatile uint64_t counted; /* the count in memory */

static uint64_t work(uint64_t seed)
{
	for (int i = 0; i < 256; i++)
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return seed;
}

static void keep(uint64_t count)
{
	counted = count;
	__asm__ volatile("mov %0, %%cr2\n\tmovq %0, %%xmm0" ::"r"(count) : "memory");
}

/* 0 if all three copies say `count`, else a bit for each that does not. */
static unsigned differs(uint64_t count)
{
	uint64_t cr2, xmm0;
	__asm__ volatile("mov %%cr2, %0\n\tmovq %%xmm0, %1" : "=r"(cr2), "=r"(xmm0)::"memory");
	return (counted != count) | (cr2 != count) << 1 | (xmm0 != count) << 2;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 1000), report = guest_arg(info, "report", 20000);
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_OSFXSR));
	guest_console_use_hypercall();
	guest_printf("movecheck: counting for %lu ms\n", ms);
	uint64_t end = kan_time_ns() + ms * 1000000, seed = info->vm_id, count = 0;
	uint64_t last_tsc = guest_rdtsc(), bad = 0;
	for (uint64_t now = 0; now < end;) {
		keep(++count);
		/* Between keeping and checking: the hypercall's exit is where kan most often
		 * takes the CPU from it (Bochs ends a slice there), so where a move lands. */
		now = kan_time_ns();
		seed = work(seed);
		unsigned which = differs(count);
		uint64_t tsc = guest_rdtsc();
		if (which || tsc < last_tsc) {
			if (bad++ < 5)
				guest_printf(
					"movecheck: BAD at %lu: memory %lu, cr2 %s, xmm0 %s, tsc "
					"%lx after %lx\n",
					count, counted, which & 2 ? "differs" : "same",
					which & 4 ? "differs" : "same", tsc, last_tsc);
			keep(count);
		}
		last_tsc = tsc;
		if (count % report == 0)
			guest_printf("movecheck: %lu counted, %s\n", count, bad ? "BAD" : "ok");
	}
	guest_printf("movecheck done: %lu counted, %s (%lx)\n", count, bad ? "BAD" : "ok",
		     seed & 0xff);
	return bad ? 1 : 0;
}
