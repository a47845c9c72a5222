/* A misbehaving guest: faults with no IDT, which the CPU turns into a triple fault. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	guest_printf("%s: about to triple fault (ud2 with no IDT)\n", info->name);
	__asm__ volatile("ud2");
	guest_printf("%s: STILL RUNNING after the triple fault\n", info->name);
	return 1;
}
