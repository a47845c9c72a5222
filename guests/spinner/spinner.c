/* A guest that never gives its CPU back: interrupts off, jump to itself, forever. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	(void)info;
	guest_printf("spinner: cli; jmp $ from now on\n");
	__asm__ volatile("cli; 1: jmp 1b");
	return 1;
}
