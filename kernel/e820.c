#include "kernel/e820.h"

unsigned e820_board(struct e820_entry map[E820_BOARD_MAX], uint64_t mem, uint64_t boot_start,
		    uint64_t boot_end)
{
	unsigned n = 0;
	if (boot_end > boot_start) {
		if (boot_start)
			map[n++] = (struct e820_entry){ 0, boot_start, E820_RAM };
		map[n++] = (struct e820_entry){ boot_start, boot_end - boot_start, E820_RESERVED };
		map[n++] = (struct e820_entry){ boot_end, E820_BIOS_START - boot_end, E820_RAM };
	} else {
		map[n++] = (struct e820_entry){ 0, E820_BIOS_START, E820_RAM };
	}
	map[n++] =
		(struct e820_entry){ E820_BIOS_START, 0x100000 - E820_BIOS_START, E820_RESERVED };
	map[n++] = (struct e820_entry){ 0x100000, mem - 0x100000, E820_RAM };
	return n;
}
