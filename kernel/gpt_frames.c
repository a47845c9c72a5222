/* Table pages for guest-physical page tables (kernel/gpt.h) from kan's frame allocator. */
#include "kernel/gpt.h"
#include "kernel/memory.h"

static uint64_t alloc_table(void *ctx)
{
	(void)ctx;
	return phys_alloc(PAGE_SIZE, PAGE_SIZE);
}

static void *table_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_ptr(phys);
}

static void free_table(void *ctx, uint64_t phys)
{
	(void)ctx;
	phys_free(phys, PAGE_SIZE);
}

const struct gpt_allocator gpt_frames = { alloc_table, table_ptr, NULL, free_table };
