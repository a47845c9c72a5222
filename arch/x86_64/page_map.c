/* kan's identity page tables as data (SDM Vol. 3A, 4.5): pure, unit-tested on the host. */
#include "arch/x86_64/page_map.h"
#include "arch/x86_64/paging.h"

#define PAGE_LARGE   (1ull << 7)
#define ADDRESS_MASK 0x000ffffffffff000ull

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & ADDRESS_MASK);
}

static uint64_t level_size(unsigned level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static bool is_leaf(uint64_t entry, unsigned level)
{
	return (entry & PAGE_PRESENT) && (level == 1 || (level < 4 && (entry & PAGE_LARGE)));
}

static uint64_t leaf(uint64_t addr, uint64_t flags, unsigned level)
{
	return flags ? addr | flags | (level > 1 ? PAGE_LARGE : 0) : 0;
}

/* Replaces the large page in `*entry` by a table of 512 pages one level down, same flags. */
static bool split(struct page_map *m, uint64_t *entry, unsigned level)
{
	uint64_t pt = m->alloc_table();
	if (!pt)
		return false;
	uint64_t base = *entry & ADDRESS_MASK & ~(level_size(level) - 1),
		 flags = *entry & ~ADDRESS_MASK & ~PAGE_LARGE;
	uint64_t *small = (uint64_t *)(uintptr_t)pt;
	for (unsigned i = 0; i < 512; i++)
		small[i] = leaf(base + i * level_size(level - 1), flags, level - 1);
	/* The directory entry itself stays writable and executable: leaves decide. */
	*entry = pt | PAGE_PRESENT | PAGE_WRITABLE | (*entry & PAGE_USER);
	return true;
}

/* Whether [addr, addr + size) (aligned) has one memory type. The largest aligned block up to
 * 1 GiB around it that has one type is remembered: the pages that follow need no lookup. */
static bool one_type(struct page_map *m, uint64_t addr, uint64_t size)
{
	if (addr >= m->known_start && addr + size <= m->known_end)
		return true;
	if (mtrr_type(m->mtrrs, addr, size) == MTRR_TYPE_MIXED)
		return false;
	for (; size < level_size(3); size *= 2) {
		uint64_t wider = addr & ~(2 * size - 1);
		if (mtrr_type(m->mtrrs, wider, 2 * size) == MTRR_TYPE_MIXED)
			break;
		addr = wider;
	}
	m->known_start = addr;
	m->known_end = addr + size;
	return true;
}

/* Whether a new page of this level may map `addr`: the CPU has such pages, and the MTRRs give
 * all of it one memory type (else the CPU's behaviour is undefined, SDM Vol. 3A 12.11.9). */
static bool large_page_fits(struct page_map *m, uint64_t addr, unsigned level)
{
	if (level == 1)
		return true;
	if (level > m->largest_level)
		return false;
	if (one_type(m, addr, level_size(level)))
		return true;
	m->mtrr_splits++;
	return false;
}

/* page_map_range within `table`, a table of this level, and the tables below it. */
static bool map_level(struct page_map *m, uint64_t *table, unsigned level, uint64_t start,
		      uint64_t end, uint64_t flags, bool only_missing)
{
	uint64_t size = level_size(level);
	for (uint64_t addr = start, next; addr < end; addr = next) {
		next = (addr & ~(size - 1)) + size;
		uint64_t stop = next < end ? next : end,
			 *e = &table[(addr >> (3 + 9 * level)) & 511];
		bool whole = !(addr & (size - 1)) && stop == next;
		if (is_leaf(*e, level)) {
			if (only_missing)
				continue;
			if (whole) {
				*e = leaf(addr, flags, level);
				continue;
			}
			if (!split(m, e, level))
				return false;
		} else if (!(*e & PAGE_PRESENT)) {
			if (!flags)
				continue;
			if (whole && large_page_fits(m, addr, level)) {
				*e = leaf(addr, flags, level);
				continue;
			}
			uint64_t below = m->alloc_table();
			if (!below)
				return false;
			*e = below | PAGE_PRESENT | PAGE_WRITABLE;
		}
		/* A user page needs the user bit at every level; kan's own leaves never have
		 * it, so the upper levels may keep it. */
		*e |= flags & PAGE_USER;
		if (!map_level(m, table_at(*e), level - 1, addr, stop, flags, only_missing))
			return false;
	}
	return true;
}

bool page_map_range(struct page_map *m, uint64_t start, uint64_t end, uint64_t flags,
		    bool only_missing)
{
	return map_level(m, m->pml4, 4, start, end, flags, only_missing);
}
