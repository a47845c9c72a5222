/* A misbehaving guest: reads (or, with "-- write=1", writes) memory beyond its own RAM. */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	volatile uint64_t *beyond = (volatile uint64_t *)(info->ram_size + 0x1000);
	if (guest_arg(info, "write", 0)) {
		guest_printf("%s: writing beyond my RAM at 0x%lx\n", info->name, (uint64_t)beyond);
		*beyond = 0x6b616e;
		guest_printf("%s: WRITE SUCCEEDED\n", info->name);
		return 1;
	}
	guest_printf("%s: reading beyond my RAM at 0x%lx\n", info->name, (uint64_t)beyond);
	uint64_t v = *beyond;
	guest_printf("%s: READ SUCCEEDED: 0x%lx\n", info->name, v);
	return 1;
}
