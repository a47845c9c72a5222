/*
 * A VM's guest-physical address space, built from plain data: the four-level tables that
 * Intel's EPT and AMD's nested paging both walk. The two formats agree on what the builder
 * needs: bits 0-2 of an entry make it present (EPT: read, write, execute; nested paging:
 * present, writable, user), bit 7 makes a PDPT or PD entry a 1 GiB or 2 MiB page, and bits
 * 12-51 hold the address. Each backend passes its own leaf flags.
 */
#ifndef KAN_KERNEL_GPT_H
#define KAN_KERNEL_GPT_H

#include <stdbool.h>
#include <stdint.h>

#define GPT_PRESENT	 0x7ull /* a table entry with these bits points at the next table */
#define GPT_LARGE_PAGE	 (1ull << 7)
#define GPT_ADDRESS_MASK 0x000ffffffffff000ull

/* Where table pages come from; kan passes its frame allocator, unit tests pass malloc. */
struct gpt_allocator {
	uint64_t (*alloc_table)(void *ctx); /* a zeroed 4 KiB page, or 0 */
	void *(*table_ptr)(void *ctx, uint64_t phys);
	void *ctx;
	void (*free_table)(void *ctx, uint64_t phys); /* only gpt_destroy needs it */
};

/* kan's own: zeroed pages from phys_alloc (kernel/gpt_frames.c). */
extern const struct gpt_allocator gpt_frames;

struct gpt_stats {
	unsigned tables;
	unsigned pages[4]; /* leaves per level: [1] 4 KiB, [2] 2 MiB, [3] 1 GiB */
};

/* A new, empty PML4; returns its physical address or 0. */
uint64_t gpt_create(const struct gpt_allocator *a, struct gpt_stats *stats);
/*
 * Maps guest-physical [gpa, gpa+size) to host-physical [hpa, ...) with `leaf_flags`, using
 * the largest pages (up to `largest_level`) that alignment and size allow. 0, or -1 when
 * out of memory or the range collides with an existing mapping.
 */
int gpt_map(const struct gpt_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t leaf_flags, unsigned largest_level, struct gpt_stats *stats);
/* Frees every table page under (and including) `pml4`; the mapped memory is not touched. */
void gpt_destroy(const struct gpt_allocator *a, uint64_t pml4);
/* Looks up one guest-physical address: true with *hpa and *flags if it is mapped. */
bool gpt_translate(const struct gpt_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t *hpa,
		   uint64_t *flags);

#endif
