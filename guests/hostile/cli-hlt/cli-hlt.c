/* Hostile: halts with interrupts disabled, so nothing can ever wake it. kan must stop it. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	(void)info;
	guest_printf("cli-hlt: cli; hlt: kan must stop me (HLT with interrupts disabled)\n");
	__asm__ volatile("cli; hlt" ::: "memory");
	guest_printf("cli-hlt: WOKE UP after cli; hlt\n");
	return 1;
}
