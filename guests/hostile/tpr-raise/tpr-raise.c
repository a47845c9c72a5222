/*
 * Hostile: raises the task priority to 15 through CR8 (masking every interrupt of the local
 * APIC it lands on, if kan lets the write reach hardware), spins for ms= milliseconds, and
 * ends without lowering it. kan must keep CR8 the guest's own: the other VMs on this CPU,
 * including ones that halt and wait to be woken, must go on, and kan must still shut down.
 */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ms = guest_arg(info, "ms", 200);
	uint64_t before, after;
	__asm__ volatile("mov %%cr8, %0" : "=r"(before));
	int vector = guest_write_cr8_safe(15);
	__asm__ volatile("mov %%cr8, %0" : "=r"(after));
	guest_printf("tpr-raise: CR8 was %lu; MOV CR8 <- 15: %s; CR8 now reads %lu\n", before,
		     guest_vector_name(vector), after);
	guest_printf("tpr-raise: spinning %lu ms with it raised, then ending without lowering it\n",
		     ms);
	uint64_t end = kan_time_ns() + ms * 1000000;
	while (kan_time_ns() < end)
		;
	guest_printf("tpr-raise done: CR8 still reads ");
	__asm__ volatile("mov %%cr8, %0" : "=r"(after));
	guest_printf("%lu\n", after);
	return 0;
}
