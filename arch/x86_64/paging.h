/* kan's own page tables: an identity map of the low 4 GiB and of all RAM above it, W^X for
 * kan's image, guard pages, MMIO uncached. */
#ifndef KAN_ARCH_PAGING_H
#define KAN_ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_PRESENT  (1ull << 0)
#define PAGE_WRITABLE (1ull << 1)
#define PAGE_USER     (1ull << 2) /* only kan's self-tests map a user page: SMEP/SMAP forbid it */
#define PAGE_PWT      (1ull << 3)
#define PAGE_PCD      (1ull << 4) /* with PWT: UC under the power-on PAT, whatever the MTRRs say */
#define PAGE_NX	      (1ull << 63)
#define PAGE_SIZE_4K  4096ull
/* The identity map stays in the lower canonical half (PML4 entries 0-255). */
#define PAGING_IDENTITY_LIMIT (1ull << 47)

/* Page-table pages come from the caller (kan's frame allocator): zeroed 4 KiB, or 0. The
 * first one, the PML4, must lie below 4 GiB: the AP trampoline loads CR3 in 32-bit mode. */
typedef uint64_t (*paging_alloc_fn)(void);

/* What paging_init found, for the boot log. */
struct paging_info {
	bool gib_pages;		   /* the CPU has 1 GiB pages (CPUID.80000001H:EDX[26]) */
	bool mtrrs_on;		   /* IA32_MTRR_DEF_TYPE.E */
	uint8_t mtrr_default_type; /* MTRR_TYPE_* */
	unsigned mtrr_splits;	   /* large pages not used because they would span two types */
	uint64_t lapic_page;	   /* mapped uncached; 0 without a local APIC */
};
extern struct paging_info paging_info;

/*
 * Builds and loads the tables for the low 4 GiB: kan's text read-only and executable, its
 * read-only data read-only, everything else writable and never executable (NX), `exec_page`
 * (the AP trampoline) executable, the local APIC's page uncached. Pages are 1 GiB or 2 MiB
 * where the CPU has them and the MTRRs give the whole page one type, else 4 KiB. False if
 * out of memory. Boot CPU, once.
 */
bool paging_init(paging_alloc_fn alloc, uint64_t exec_page);
/* Sets the flags of [start, end) (page-aligned); flags 0 unmaps (guard pages). */
bool paging_set(uint64_t start, uint64_t end, uint64_t flags);
/* Maps the parts of [start, end) (widened to pages) that are not mapped yet with `flags`,
 * leaving mapped pages as they are: RAM above 4 GiB, firmware tables there. */
bool paging_map(uint64_t start, uint64_t end, uint64_t flags);
/* Maps [start, end) (MMIO) writable, NX and uncached. */
bool paging_uncache(uint64_t start, uint64_t end);
/* The access the tables in CR3 give `addr`: PAGE_PRESENT, and PAGE_WRITABLE and PAGE_USER
 * if every level allows it, PAGE_NX if any level sets it, the leaf's PAGE_PCD and PAGE_PWT;
 * 0 if it is not mapped. */
uint64_t paging_lookup(uint64_t addr);
/* On every CPU: NX on, and SMEP/SMAP where the CPU has them; says which in `smep_smap`. */
void paging_enable_protections(bool *smep, bool *smap);

#endif
