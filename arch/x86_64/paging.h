/* kan's own page tables: identity map of the low 4 GiB, W^X for kan's image, guard pages. */
#ifndef KAN_ARCH_PAGING_H
#define KAN_ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_PRESENT  (1ull << 0)
#define PAGE_WRITABLE (1ull << 1)
#define PAGE_USER     (1ull << 2) /* only kan's self-tests map a user page: SMEP/SMAP forbid it */
#define PAGE_NX	      (1ull << 63)

/* Page-table pages come from the caller (kan's frame allocator): zeroed 4 KiB, or 0. */
typedef uint64_t (*paging_alloc_fn)(void);

/*
 * Builds and loads the tables: kan's text read-only and executable, its read-only data
 * read-only, everything else writable and never executable (NX), and `exec_page` (the AP
 * trampoline) executable. False if out of memory. Boot CPU, once.
 */
bool paging_init(paging_alloc_fn alloc, uint64_t exec_page);
/* Sets the flags of [start, end) (page-aligned); flags 0 unmaps (guard pages). */
bool paging_set(uint64_t start, uint64_t end, uint64_t flags);
/* The access the tables in CR3 give `addr`: PAGE_PRESENT, and PAGE_WRITABLE and PAGE_USER
 * if every level allows it, PAGE_NX if any level sets it; 0 if it is not mapped. */
uint64_t paging_lookup(uint64_t addr);
/* On every CPU: NX on, and SMEP/SMAP where the CPU has them; says which in `smep_smap`. */
void paging_enable_protections(bool *smep, bool *smap);

#endif
