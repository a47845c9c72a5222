/*
 * Hostile: touches the first byte beyond its RAM, after showing that the last byte inside
 * works. Reads by default; "-- write=1" writes, "-- fetch=1" jumps there, "-- at=ADDR" picks
 * another address outside RAM. kan must stop it with an EPT violation; it never returns.
 */
#include "guest.h"

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install(); /* a #PF (instead of kan stopping us) is then reported, not a triple
				 fault */
	uint64_t ram = info->ram_size;
	uint64_t target = guest_arg(info, "at", ram);
	int write = guest_arg(info, "write", 0) != 0, fetch = guest_arg(info, "fetch", 0) != 0;

	/* The top of RAM holds our stack: read the last qword and write it back unchanged. */
	volatile uint64_t *last = (volatile uint64_t *)(ram - 8);
	uint64_t v = *last;
	*last = v;
	guest_printf("ram-edge: my RAM is [0, 0x%lx); its last qword at 0x%lx reads 0x%lx and "
		     "takes a write\n",
		     ram, ram - 8, v);

	if (fetch) {
		guest_printf("ram-edge: jumping to 0x%lx, outside my RAM: kan must stop me "
			     "(instruction fetch)\n",
			     target);
		((void (*)(void))target)();
		guest_printf("ram-edge: FETCH SUCCEEDED: came back from 0x%lx\n", target);
	} else if (write) {
		guest_printf(
			"ram-edge: writing 0x6b616e to 0x%lx, outside my RAM: kan must stop me "
			"(write)\n",
			target);
		*(volatile uint64_t *)target = 0x6b616e;
		guest_printf("ram-edge: WRITE SUCCEEDED at 0x%lx\n", target);
	} else {
		guest_printf("ram-edge: reading 0x%lx, outside my RAM: kan must stop me (read)\n",
			     target);
		v = *(volatile uint64_t *)target;
		guest_printf("ram-edge: READ SUCCEEDED at 0x%lx: 0x%lx\n", target, v);
	}
	return 1;
}
