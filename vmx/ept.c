/* EPT construction (SDM Vol. 3C, 29.3): pure logic, unit-tested on the host. */
#include "vmx/ept.h"
#include "vmx/vmx_defs.h"

#include <stddef.h>

#define EPT_ENTRIES	    512
#define EPT_LEAF_FLAGS_MASK 0xfffull

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static unsigned index_at(uint64_t gpa, unsigned level)
{
	return (gpa >> level_shift(level)) & (EPT_ENTRIES - 1);
}

static bool present(uint64_t entry)
{
	return entry & EPT_RWX;
}

uint64_t ept_create(const struct ept_allocator *a, struct ept_stats *stats)
{
	uint64_t pml4 = a->alloc_table(a->ctx);
	if (pml4)
		stats->tables++;
	return pml4;
}

/* The entry for `gpa` at `target` level, creating the tables above it; NULL on failure. */
static uint64_t *walk_create(const struct ept_allocator *a, uint64_t pml4, uint64_t gpa,
			     unsigned target, struct ept_stats *stats)
{
	uint64_t *table = a->table_ptr(a->ctx, pml4);
	for (unsigned level = 4; level > target; level--) {
		uint64_t *entry = &table[index_at(gpa, level)];
		if (!present(*entry)) {
			uint64_t next = a->alloc_table(a->ctx);
			if (!next)
				return NULL;
			stats->tables++;
			*entry = next | EPT_RWX; /* permissions are decided at the leaf */
		} else if (*entry & EPT_LARGE_PAGE) {
			return NULL; /* already mapped by a larger page */
		}
		table = a->table_ptr(a->ctx, *entry & EPT_ADDRESS_MASK);
	}
	return &table[index_at(gpa, target)];
}

int ept_map(const struct ept_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t leaf_flags, unsigned largest_level, struct ept_stats *stats)
{
	if ((gpa | hpa | size) & 0xfff)
		return -1;
	while (size) {
		unsigned level = largest_level;
		for (; level > 1; level--) {
			uint64_t page = 1ull << level_shift(level);
			if (!((gpa | hpa) & (page - 1)) && size >= page)
				break;
		}
		uint64_t *entry = walk_create(a, pml4, gpa, level, stats);
		if (!entry || present(*entry))
			return -1;
		*entry =
			hpa | (leaf_flags & EPT_LEAF_FLAGS_MASK) | (level > 1 ? EPT_LARGE_PAGE : 0);
		stats->pages[level]++;
		uint64_t page = 1ull << level_shift(level);
		gpa += page, hpa += page, size -= page;
	}
	return 0;
}

bool ept_translate(const struct ept_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t *hpa,
		   uint64_t *flags)
{
	uint64_t *table = a->table_ptr(a->ctx, pml4);
	for (unsigned level = 4; level >= 1; level--) {
		uint64_t entry = table[index_at(gpa, level)];
		if (!present(entry))
			return false;
		if (level == 1 || (entry & EPT_LARGE_PAGE)) {
			uint64_t offset_mask = (1ull << level_shift(level)) - 1;
			*hpa = (entry & EPT_ADDRESS_MASK & ~offset_mask) | (gpa & offset_mask);
			*flags = entry & EPT_LEAF_FLAGS_MASK;
			return true;
		}
		table = a->table_ptr(a->ctx, entry & EPT_ADDRESS_MASK);
	}
	return false;
}

static void free_level(const struct ept_allocator *a, uint64_t table_phys, unsigned level)
{
	uint64_t *table = a->table_ptr(a->ctx, table_phys);
	for (unsigned i = 0; level > 1 && i < EPT_ENTRIES; i++)
		if (present(table[i]) && !(table[i] & EPT_LARGE_PAGE))
			free_level(a, table[i] & EPT_ADDRESS_MASK, level - 1);
	a->free_table(a->ctx, table_phys);
}

void ept_destroy(const struct ept_allocator *a, uint64_t pml4)
{
	free_level(a, pml4, 4);
}
