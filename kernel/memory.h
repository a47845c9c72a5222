/* kan's physical memory: everything GRUB reports as RAM, minus kan, its modules and boot data. */
#ifndef KAN_KERNEL_MEMORY_H
#define KAN_KERNEL_MEMORY_H

#include <stdint.h>

#include "kernel/multiboot2.h"
#include "kernel/pmem.h"

/* RAM below 4 GiB, minus kan, GRUB's information and the modules; fills boot->modules. */
void memory_init(struct boot_info *boot, uint64_t mbi_start, uint64_t mbi_end);
/* After paging_init: maps the RAM above 4 GiB, adds it, and prints the memory line. */
void memory_add_high(const struct boot_info *boot);
/* Zeroed, physically contiguous memory, the lowest that fits: kan's own structures, some of
 * which must stay low (page tables the AP trampoline loads in 32-bit mode); 0 when none is left. */
uint64_t phys_alloc(uint64_t size, uint64_t align);
/* The same, the highest that fits: VM RAM, so that low memory stays for kan. */
uint64_t phys_alloc_top(uint64_t size, uint64_t align);
void phys_free(uint64_t start, uint64_t size);
uint64_t phys_free_bytes(void);
/* A stack of `size` bytes with an unmapped guard page below it; returns its top, or 0. */
uint64_t stack_alloc(uint64_t size);

/* kan runs identity-mapped: a physical address is its own pointer. */
static inline void *phys_to_ptr(uint64_t phys)
{
	return (void *)(uintptr_t)phys;
}

#endif
