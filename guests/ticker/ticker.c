/*
 * A guest that counts and says where it is (vm snapshot / vm restore, test_snapshot.py):
 * every every= turns of its loop it prints its count, a value that depends on every turn
 * so far (two copies at the same count print the same one only if RAM and registers carried
 * over), and the TSC ticks since its last line: a restored copy whose TSC jumped shows it
 * in that delta. It never ends by itself.
 */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t every = guest_arg(info, "every", 1u << 20);
	uint64_t count = 0, value = info->vm_id, last = guest_rdtsc();
	guest_printf("ticker: counting, a line every %lu turns\n", every);
	for (;;) {
		for (uint64_t i = 0; i < every; i++)
			value = value * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t now = guest_rdtsc();
		count++;
		guest_printf("ticker: count %lu value %lx tsc +%lu\n", count, value >> 40,
			     now - last);
		last = now;
	}
	return 0;
}
