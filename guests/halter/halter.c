/* A guest that idles: HLT with interrupts on gives its CPU away; it wakes and goes on. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t rounds = guest_arg(info, "rounds", 5);
	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t before = kan_time_ns();
		__asm__ volatile("sti; hlt; cli");
		guest_printf("halter: woke up after %lu us\n", (kan_time_ns() - before) / 1000);
	}
	guest_printf("halter done: %lu halts\n", rounds);
	return 0;
}
