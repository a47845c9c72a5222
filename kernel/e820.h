/* The memory map kan's Linux board shows a guest (kind=linux's e820 table, kind=pvh's memmap). */
#ifndef KAN_KERNEL_E820_H
#define KAN_KERNEL_E820_H

#include <stdint.h>

#define E820_RAM      1
#define E820_RESERVED 2

#define E820_BIOS_START 0x9fc00u /* where a PC's BIOS area begins, up to 1 MiB */
#define E820_BOARD_MAX	5	 /* entries e820_board writes at most */

/* One entry as the zero page holds it (Documentation/arch/x86/zero-page.rst). */
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

/*
 * The board's map of a VM with `mem` bytes of RAM: RAM below the BIOS area, the BIOS area
 * reserved (kan's ACPI tables and SMBIOS lie there), RAM from 1 MiB. With boot_end > boot_start
 * (below the BIOS area), [boot_start, boot_end) is reserved too: kan's boot data, which the
 * guest must not reuse as RAM. Returns how many entries it wrote to `map`.
 */
unsigned e820_board(struct e820_entry map[E820_BOARD_MAX], uint64_t mem, uint64_t boot_start,
		    uint64_t boot_end);

#endif
