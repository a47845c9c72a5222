#include "kernel/pmem.h"

#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

void pmem_init(struct pmem *pm)
{
	pm->count = 0;
}

static void remove_at(struct pmem *pm, int i)
{
	for (; i + 1 < pm->count; i++)
		pm->free[i] = pm->free[i + 1];
	pm->count--;
}

static int insert_at(struct pmem *pm, int i, uint64_t start, uint64_t end)
{
	if (pm->count == PMEM_MAX_RANGES)
		return -1; /* the range is lost to kan: acceptable, and never silent in practice */
	for (int j = pm->count; j > i; j--)
		pm->free[j] = pm->free[j - 1];
	pm->free[i] = (struct mem_range){ start, end };
	pm->count++;
	return 0;
}

void pmem_add(struct pmem *pm, uint64_t start, uint64_t end)
{
	start = ALIGN_UP(start, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (start >= end)
		return;
	/* Carve out any overlap first so the list stays disjoint, then insert and merge. */
	pmem_reserve(pm, start, end);
	int i = 0;
	while (i < pm->count && pm->free[i].start < start)
		i++;
	if (insert_at(pm, i, start, end))
		return;
	if (i + 1 < pm->count && pm->free[i].end == pm->free[i + 1].start) {
		pm->free[i].end = pm->free[i + 1].end;
		remove_at(pm, i + 1);
	}
	if (i > 0 && pm->free[i - 1].end == pm->free[i].start) {
		pm->free[i - 1].end = pm->free[i].end;
		remove_at(pm, i);
	}
}

void pmem_reserve(struct pmem *pm, uint64_t start, uint64_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	for (int i = 0; i < pm->count; i++) {
		struct mem_range r = pm->free[i];
		if (r.end <= start || r.start >= end)
			continue;
		if (r.start < start && r.end > end) { /* split in two */
			pm->free[i].end = start;
			insert_at(pm, i + 1, end, r.end);
			return;
		}
		if (r.start < start) {
			pm->free[i].end = start;
		} else if (r.end > end) {
			pm->free[i].start = end;
		} else {
			remove_at(pm, i);
			i--;
		}
	}
}

uint64_t pmem_alloc(struct pmem *pm, uint64_t size, uint64_t align)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	if (size == 0)
		return 0;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	for (int i = 0; i < pm->count; i++) {
		uint64_t start = ALIGN_UP(pm->free[i].start, align);
		if (start < pm->free[i].start || start + size > pm->free[i].end ||
		    start + size < start)
			continue;
		pmem_reserve(pm, start, start + size);
		return start;
	}
	return 0;
}

uint64_t pmem_alloc_top(struct pmem *pm, uint64_t size, uint64_t align)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	if (size == 0)
		return 0;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	for (int i = pm->count - 1; i >= 0; i--) {
		struct mem_range r = pm->free[i];
		if (r.end - r.start < size)
			continue;
		uint64_t start = ALIGN_DOWN(r.end - size, align);
		if (start < r.start)
			continue;
		pmem_reserve(pm, start, start + size);
		return start;
	}
	return 0;
}

void pmem_free(struct pmem *pm, uint64_t start, uint64_t size)
{
	pmem_add(pm, start, start + size);
}

uint64_t pmem_free_bytes(const struct pmem *pm)
{
	uint64_t total = 0;
	for (int i = 0; i < pm->count; i++)
		total += pm->free[i].end - pm->free[i].start;
	return total;
}
