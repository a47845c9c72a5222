/* Guest-physical page tables (EPT: SDM Vol. 3C, 29.3; nested paging: APM Vol. 2, 15.25):
 * pure logic, unit-tested on the host. */
#include "kernel/gpt.h"

#include <stddef.h>

#define GPT_ENTRIES	    512
#define GPT_LEAF_FLAGS_MASK 0xfffull

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static unsigned index_at(uint64_t gpa, unsigned level)
{
	return (gpa >> level_shift(level)) & (GPT_ENTRIES - 1);
}

static bool present(uint64_t entry)
{
	return entry & GPT_PRESENT;
}

uint64_t gpt_create(const struct gpt_allocator *a, struct gpt_stats *stats)
{
	uint64_t pml4 = a->alloc_table(a->ctx);
	if (pml4)
		stats->tables++;
	return pml4;
}

/* The entry for `gpa` at `target` level, creating the tables above it; NULL on failure. */
static uint64_t *walk_create(const struct gpt_allocator *a, uint64_t pml4, uint64_t gpa,
			     unsigned target, struct gpt_stats *stats)
{
	uint64_t *table = a->table_ptr(a->ctx, pml4);
	for (unsigned level = 4; level > target; level--) {
		uint64_t *entry = &table[index_at(gpa, level)];
		if (!present(*entry)) {
			uint64_t next = a->alloc_table(a->ctx);
			if (!next)
				return NULL;
			stats->tables++;
			*entry = next | GPT_PRESENT; /* permissions are decided at the leaf */
		} else if (*entry & GPT_LARGE_PAGE) {
			return NULL; /* already mapped by a larger page */
		}
		table = a->table_ptr(a->ctx, *entry & GPT_ADDRESS_MASK);
	}
	return &table[index_at(gpa, target)];
}

int gpt_map(const struct gpt_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t leaf_flags, unsigned largest_level, struct gpt_stats *stats)
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
			hpa | (leaf_flags & GPT_LEAF_FLAGS_MASK) | (level > 1 ? GPT_LARGE_PAGE : 0);
		stats->pages[level]++;
		uint64_t page = 1ull << level_shift(level);
		gpa += page, hpa += page, size -= page;
	}
	return 0;
}

bool gpt_translate(const struct gpt_allocator *a, uint64_t pml4, uint64_t gpa, uint64_t *hpa,
		   uint64_t *flags)
{
	uint64_t *table = a->table_ptr(a->ctx, pml4);
	for (unsigned level = 4; level >= 1; level--) {
		uint64_t entry = table[index_at(gpa, level)];
		if (!present(entry))
			return false;
		if (level == 1 || (entry & GPT_LARGE_PAGE)) {
			uint64_t offset_mask = (1ull << level_shift(level)) - 1;
			*hpa = (entry & GPT_ADDRESS_MASK & ~offset_mask) | (gpa & offset_mask);
			*flags = entry & GPT_LEAF_FLAGS_MASK;
			return true;
		}
		table = a->table_ptr(a->ctx, entry & GPT_ADDRESS_MASK);
	}
	return false;
}

static void free_level(const struct gpt_allocator *a, uint64_t table_phys, unsigned level)
{
	uint64_t *table = a->table_ptr(a->ctx, table_phys);
	for (unsigned i = 0; level > 1 && i < GPT_ENTRIES; i++)
		if (present(table[i]) && !(table[i] & GPT_LARGE_PAGE))
			free_level(a, table[i] & GPT_ADDRESS_MASK, level - 1);
	a->free_table(a->ctx, table_phys);
}

void gpt_destroy(const struct gpt_allocator *a, uint64_t pml4)
{
	free_level(a, pml4, 4);
}
