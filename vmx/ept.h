/* Extended page tables: a VM's guest-physical address space, built from plain data. */
#ifndef KAN_VMX_EPT_H
#define KAN_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

/* Where table pages come from; kan passes its frame allocator, unit tests pass malloc. */
struct ept_allocator {
	uint64_t (*alloc_table)(void *ctx); /* a zeroed 4 KiB page, or 0 */
	void *(*table_ptr)(void *ctx, uint64_t phys);
	void *ctx;
	void (*free_table)(void *ctx, uint64_t phys); /* only ept_destroy needs it */
};

struct ept_stats {
	unsigned tables;
	unsigned pages[4]; /* leaves per level: [1] 4 KiB, [2] 2 MiB, [3] 1 GiB */
};

/* A new, empty PML4; returns its physical address or 0. */
uint64_t ept_create(const struct ept_allocator *a, struct ept_stats *stats);
/*
 * Maps guest-physical [gpa, gpa+size) to host-physical [hpa, ...) with `leaf_flags`, using
 * the largest pages (up to `largest_level`) that alignment and size allow. 0, or -1 when
 * out of memory or the range collides with an existing mapping.
 */
int ept_map(const struct ept_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t leaf_flags, unsigned largest_level, struct ept_stats *stats);
/* Frees every table page under (and including) `pml4`; the mapped memory is not touched. */
void ept_destroy(const struct ept_allocator *a, uint64_t pml4);
/* Looks up one guest-physical address: true with *hpa and *flags if it is mapped. */
bool ept_translate(const struct ept_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t *hpa,
		   uint64_t *flags);

#endif
