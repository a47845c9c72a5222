/* kan's identity page tables as data: built, split and re-flagged by the rules paging.h
 * states, without touching CR3 (paging.c loads the tables and flushes the TLB). */
#ifndef KAN_ARCH_PAGE_MAP_H
#define KAN_ARCH_PAGE_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/mtrr.h"

struct page_map {
	uint64_t *pml4;
	uint64_t (*alloc_table)(void); /* a zeroed 4 KiB table (its address is its pointer), or 0 */
	unsigned largest_level;	       /* 2 (2 MiB pages), or 3 with 1 GiB pages */
	const struct mtrr_state *mtrrs;
	unsigned mtrr_splits; /* large pages not used because they would span two memory types */
	uint64_t known_start, known_end; /* the last block found to have one memory type */
};

/*
 * Identity-maps [start, end) (4 KiB-aligned) with `flags` (0 unmaps). `only_missing` leaves
 * mapped pages alone and maps only the rest; otherwise a large page the range covers in part
 * is split first, keeping its flags elsewhere. New pages are as large as alignment, the
 * largest level and the MTRRs allow. False if a table could not be allocated.
 */
bool page_map_range(struct page_map *m, uint64_t start, uint64_t end, uint64_t flags,
		    bool only_missing);

#endif
