/*
 * Hostile: spins forever with interrupts disabled, never exiting on its own. kan must still
 * take the CPU back every slice (VMX preemption timer) and stop it at its timeout= from the
 * config line.
 */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	(void)info;
	guest_printf("cli-spin: cli; jmp $ from now on: kan must preempt me each slice and stop me "
		     "at my timeout\n");
	__asm__ volatile("cli; 1: jmp 1b" ::: "memory");
	guest_printf("cli-spin: LEFT the loop\n");
	return 1;
}
