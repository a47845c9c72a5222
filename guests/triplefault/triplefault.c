/* A misbehaving guest: faults with no IDT, which the CPU turns into a triple fault; with
 * after=MS it first runs for MS milliseconds of kan's time (a VM that crashes now and then). */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t after = guest_arg(info, "after", 0);
	for (uint64_t end = kan_time_ns() + after * 1000000; kan_time_ns() < end;)
		;
	guest_printf("%s: about to triple fault (ud2 with no IDT)\n", info->name);
	__asm__ volatile("ud2");
	guest_printf("%s: STILL RUNNING after the triple fault\n", info->name);
	return 1;
}
