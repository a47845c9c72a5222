/* A misbehaving guest: reads guest-physical memory beyond its own RAM. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	volatile uint64_t *beyond = (volatile uint64_t *)(info->ram_size + 0x1000);
	guest_printf("%s: reading beyond my RAM at 0x%lx\n", info->name, (uint64_t)beyond);
	uint64_t v = *beyond;
	guest_printf("%s: READ SUCCEEDED: 0x%lx\n", info->name, v);
	return 1;
}
