/* kan's physical memory: everything GRUB reports as RAM, minus kan, its modules and boot data. */
#ifndef KAN_KERNEL_MEMORY_H
#define KAN_KERNEL_MEMORY_H

#include <stdint.h>

#include "kernel/multiboot2.h"
#include "kernel/pmem.h"

/* kan identity-maps, and so can hand out, only the low 4 GiB. */
#define MEMORY_LIMIT (4ul << 30)

void memory_init(const struct boot_info *boot, uint64_t mbi_start, uint64_t mbi_end);
/* Zeroed, physically contiguous memory; 0 when none is left. */
uint64_t phys_alloc(uint64_t size, uint64_t align);
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
