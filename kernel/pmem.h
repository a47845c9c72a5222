/* Physical memory: a sorted list of free ranges that kan carves VM memory and tables from. */
#ifndef KAN_KERNEL_PMEM_H
#define KAN_KERNEL_PMEM_H

#include <stdint.h>

#include "kernel/multiboot2.h"

#define PAGE_SIZE	4096ull
#define PMEM_MAX_RANGES 128

struct pmem {
	struct mem_range free[PMEM_MAX_RANGES]; /* sorted, disjoint, never adjacent */
	int count;
};

void pmem_init(struct pmem *pm);
/* Adds [start, end) to the free list, page-aligned inward, merging neighbours. */
void pmem_add(struct pmem *pm, uint64_t start, uint64_t end);
/* Removes [start, end), page-aligned outward, from the free list: it is never handed out. */
void pmem_reserve(struct pmem *pm, uint64_t start, uint64_t end);
/* Returns the lowest free block of `size` bytes aligned to `align` (a power of two), or 0. */
uint64_t pmem_alloc(struct pmem *pm, uint64_t size, uint64_t align);
/* The same, the highest such block. */
uint64_t pmem_alloc_top(struct pmem *pm, uint64_t size, uint64_t align);
void pmem_free(struct pmem *pm, uint64_t start, uint64_t size);
uint64_t pmem_free_bytes(const struct pmem *pm);

#endif
