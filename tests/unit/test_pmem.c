/* The physical memory free list (kernel/pmem.c): merging, reserving, aligned allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/pmem.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)

static struct pmem pm;

static int setup(void **state)
{
	(void)state;
	pmem_init(&pm);
	return 0;
}

/* The free list is exactly these ranges, in order. */
static void assert_ranges(int count, const struct mem_range *want)
{
	assert_int_equal(pm.count, count);
	for (int i = 0; i < count; i++) {
		assert_int_equal(pm.free[i].start, want[i].start);
		assert_int_equal(pm.free[i].end, want[i].end);
	}
}

#define ASSERT_RANGES(...)                                                                         \
	do {                                                                                       \
		const struct mem_range want[] = { __VA_ARGS__ };                                   \
		assert_ranges(sizeof(want) / sizeof(want[0]), want);                               \
	} while (0)

static void add_shrinks_a_range_inward_to_whole_pages(void **state)
{
	(void)state;
	pmem_add(&pm, 0x1234, 0x5678);
	ASSERT_RANGES({ 0x2000, 0x5000 });
	assert_int_equal(pmem_free_bytes(&pm), 0x3000);
}

static void add_of_less_than_a_whole_page_adds_nothing(void **state)
{
	(void)state;
	pmem_add(&pm, 0x1001, 0x1fff);
	pmem_add(&pm, 0x3000, 0x3000);
	pmem_add(&pm, 0x5000, 0x4000);
	assert_int_equal(pm.count, 0);
	assert_int_equal(pmem_free_bytes(&pm), 0);
}

static void adjacent_ranges_merge_in_either_order(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 2 * MIB, 3 * MIB); /* after */
	pmem_add(&pm, 0, 1 * MIB);	 /* before */
	ASSERT_RANGES({ 0, 3 * MIB });
}

static void filling_the_hole_between_two_ranges_merges_all_three(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 3 * MIB, 4 * MIB);
	ASSERT_RANGES({ 1 * MIB, 2 * MIB }, { 3 * MIB, 4 * MIB });
	pmem_add(&pm, 2 * MIB, 3 * MIB);
	ASSERT_RANGES({ 1 * MIB, 4 * MIB });
}

static void ranges_stay_sorted_whatever_the_order_they_come_in(void **state)
{
	(void)state;
	pmem_add(&pm, 64 * MIB, 128 * MIB);
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 16 * MIB, 32 * MIB);
	ASSERT_RANGES({ 1 * MIB, 2 * MIB }, { 16 * MIB, 32 * MIB }, { 64 * MIB, 128 * MIB });
	assert_int_equal(pmem_free_bytes(&pm), 1 * MIB + 16 * MIB + 64 * MIB);
}

static void overlapping_adds_count_memory_once(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 2 * MIB);
	pmem_add(&pm, 1 * MIB, 3 * MIB);
	pmem_add(&pm, 512 * KIB, 1 * MIB);
	ASSERT_RANGES({ 0, 3 * MIB });
	assert_int_equal(pmem_free_bytes(&pm), 3 * MIB);
}

static void an_add_covering_several_ranges_becomes_one(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 4 * MIB, 5 * MIB);
	pmem_add(&pm, 8 * MIB, 9 * MIB);
	pmem_add(&pm, 0, 16 * MIB);
	ASSERT_RANGES({ 0, 16 * MIB });
}

static void reserve_in_the_middle_splits_a_range(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 16 * MIB);
	pmem_reserve(&pm, 4 * MIB, 8 * MIB);
	ASSERT_RANGES({ 0, 4 * MIB }, { 8 * MIB, 16 * MIB });
	assert_int_equal(pmem_free_bytes(&pm), 12 * MIB);
}

static void reserve_grows_outward_to_whole_pages(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 0x10000);
	pmem_reserve(&pm, 0x3001, 0x4fff);
	ASSERT_RANGES({ 0, 0x3000 }, { 0x5000, 0x10000 });
}

static void reserve_trims_both_ends_and_removes_what_it_covers(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 2 * MIB);
	pmem_add(&pm, 3 * MIB, 4 * MIB);
	pmem_add(&pm, 5 * MIB, 8 * MIB);
	pmem_reserve(&pm, 1 * MIB, 6 * MIB);
	ASSERT_RANGES({ 0, 1 * MIB }, { 6 * MIB, 8 * MIB });
}

static void reserve_of_memory_not_in_the_list_changes_nothing(void **state)
{
	(void)state;
	pmem_add(&pm, 16 * MIB, 32 * MIB);
	pmem_reserve(&pm, 0, 1 * MIB);
	pmem_reserve(&pm, 32 * MIB, 64 * MIB);
	ASSERT_RANGES({ 16 * MIB, 32 * MIB });
}

static void alloc_aligns_to_2m(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB + 4 * KIB, 64 * MIB);
	uint64_t p = pmem_alloc(&pm, 16 * MIB, 2 * MIB);
	assert_int_equal(p, 2 * MIB);
	ASSERT_RANGES({ 1 * MIB + 4 * KIB, 2 * MIB }, { 18 * MIB, 64 * MIB });
	uint64_t q = pmem_alloc(&pm, 4 * KIB, 2 * MIB);
	assert_int_equal(q, 18 * MIB);
}

static void alloc_takes_the_lowest_block_that_fits(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);   /* too small */
	pmem_add(&pm, 4 * MIB, 8 * MIB);   /* fits */
	pmem_add(&pm, 16 * MIB, 32 * MIB); /* also fits, but higher */
	assert_int_equal(pmem_alloc(&pm, 3 * MIB, PAGE_SIZE), 4 * MIB);
	assert_int_equal(pmem_alloc(&pm, 4 * KIB, PAGE_SIZE), 1 * MIB);
}

static void alloc_rounds_a_size_up_to_whole_pages(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	assert_int_equal(pmem_alloc(&pm, 100, 1), 1 * MIB);
	assert_int_equal(pmem_free_bytes(&pm), 1 * MIB - 4 * KIB);
	assert_int_equal(pmem_alloc(&pm, 4 * KIB, 0), 1 * MIB + 4 * KIB);
}

static void alloc_fails_with_0_and_changes_nothing_when_no_block_fits(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 3 * MIB + 4 * KIB); /* 2M+4K bytes, but only 1M+4K after 2M */
	pmem_add(&pm, 5 * MIB, 6 * MIB);
	assert_int_equal(pmem_alloc(&pm, 2 * MIB, 2 * MIB), 0);
	assert_int_equal(pmem_alloc(&pm, 4 * MIB, PAGE_SIZE), 0);
	ASSERT_RANGES({ 1 * MIB, 3 * MIB + 4 * KIB }, { 5 * MIB, 6 * MIB });
}

static void alloc_from_an_empty_list_fails(void **state)
{
	(void)state;
	assert_int_equal(pmem_alloc(&pm, PAGE_SIZE, PAGE_SIZE), 0);
}

static void alloc_near_the_top_of_the_address_space_does_not_wrap(void **state)
{
	(void)state;
	pmem_add(&pm, 0xfffffffffff00000ull, 0xfffffffffffff000ull);
	assert_int_equal(pmem_alloc(&pm, 2 * MIB, PAGE_SIZE), 0);
	assert_int_equal(pmem_alloc(&pm, PAGE_SIZE, 2 * MIB), 0);
	assert_int_equal(pmem_free_bytes(&pm), 1 * MIB - 4 * KIB);
}

#define GIB (1ull << 30)

static void alloc_top_takes_the_highest_aligned_block_above_4g(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 3 * GIB);
	pmem_add(&pm, 4 * GIB, 8 * GIB - 4 * KIB); /* the last page is not RAM */
	assert_int_equal(pmem_alloc_top(&pm, 1 * MIB, 2 * MIB), 8 * GIB - 2 * MIB);
	assert_int_equal(pmem_alloc_top(&pm, 16 * MIB, 2 * MIB), 8 * GIB - 18 * MIB);
	ASSERT_RANGES({ 1 * MIB, 3 * GIB }, { 4 * GIB, 8 * GIB - 18 * MIB },
		      { 8 * GIB - 1 * MIB, 8 * GIB - 4 * KIB });
	assert_int_equal(pmem_alloc(&pm, 4 * KIB, PAGE_SIZE), 1 * MIB); /* kan's stay low */
}

static void alloc_top_falls_back_to_lower_ranges_then_fails(void **state)
{
	(void)state;
	pmem_add(&pm, 2 * MIB, 8 * MIB);
	pmem_add(&pm, 4 * GIB, 4 * GIB + 3 * MIB); /* too small for 4 MiB */
	assert_int_equal(pmem_alloc_top(&pm, 4 * MIB, 2 * MIB), 4 * MIB);
	assert_int_equal(pmem_alloc_top(&pm, 4 * MIB, 2 * MIB), 0);
	assert_int_equal(pmem_alloc_top(&pm, 1 * MIB, 2 * MIB), 4 * GIB + 2 * MIB);
	assert_int_equal(pmem_free_bytes(&pm), 4 * MIB);
}

static void freed_memory_is_reused_and_merges_back(void **state)
{
	(void)state;
	pmem_add(&pm, 2 * MIB, 64 * MIB);
	uint64_t before = pmem_free_bytes(&pm);
	uint64_t a = pmem_alloc(&pm, 16 * MIB, 2 * MIB);
	uint64_t b = pmem_alloc(&pm, 16 * MIB, 2 * MIB);
	assert_int_equal(b, a + 16 * MIB);
	pmem_free(&pm, a, 16 * MIB);
	assert_int_equal(pmem_alloc(&pm, 16 * MIB, 2 * MIB), a);
	pmem_free(&pm, a, 16 * MIB);
	pmem_free(&pm, b, 16 * MIB);
	assert_int_equal(pmem_free_bytes(&pm), before);
	ASSERT_RANGES({ 2 * MIB, 64 * MIB });
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

static void reserved_memory_is_never_handed_out(void **state)
{
	(void)state;
	/* As memory_init does it: RAM, then the low 1 MiB, kan itself, the MBI and a module. */
	const struct mem_range reserved[] = {
		{ 0, 1 * MIB },
		{ 1 * MIB, 1 * MIB + 300 * KIB },
		{ 0x10b000, 0x10b800 },
		{ 5 * MIB + 100, 5 * MIB + 9000 },
	};
	pmem_add(&pm, 0, 0x9fc00);
	pmem_add(&pm, 1 * MIB, 32 * MIB);
	for (int i = 0; i < 4; i++)
		pmem_reserve(&pm, reserved[i].start, reserved[i].end);
	uint64_t free_before = pmem_free_bytes(&pm), handed_out = 0;
	for (uint64_t p; (p = pmem_alloc(&pm, 12 * KIB, PAGE_SIZE)) != 0; handed_out += 12 * KIB) {
		for (int i = 0; i < 4; i++)
			assert_false(overlaps(p, p + 12 * KIB, reserved[i].start, reserved[i].end));
		assert_true(p + 12 * KIB <= 32 * MIB);
	}
	assert_true(free_before - handed_out < 12 * KIB); /* only scraps too small are left */
}

static void free_bytes_is_the_sum_of_the_ranges(void **state)
{
	(void)state;
	assert_int_equal(pmem_free_bytes(&pm), 0);
	pmem_add(&pm, 0, 4 * KIB);
	pmem_add(&pm, 1 * MIB, 3 * MIB);
	pmem_add(&pm, 4ull << 30, 5ull << 30);
	assert_int_equal(pmem_free_bytes(&pm), 4 * KIB + 2 * MIB + (1ull << 30));
}

/*
 * Placing VMs as kan boots: memory_init's reservations, then many 2 MiB-aligned VM blocks until
 * none fits, checked against a page-by-page model of what must be free.
 */

/* The model covers the simulated machine's RAM, all of it below 256 MiB. */
#define MODEL_END   (256 * MIB)
#define MODEL_PAGES (MODEL_END / PAGE_SIZE)
#define MAX_BLOCKS  256

/* A memory map as GRUB reports it: low RAM, then RAM from 1 MiB up to an ACPI hole, then more. */
static const struct mem_range boot_ram[] = {
	{ 0, 0x9fc00 },
	{ 1 * MIB, 0x7fee000 },	       /* ends neither 2 MiB nor 1 MiB aligned */
	{ 0x8300000, 0x10000000 - 1 }, /* after the hole, starts off 2 MiB; odd end */
};
/* What memory_init reserves: the first MiB, kan at 1 MiB, the MBI and the modules. */
static const struct mem_range boot_reserved[] = {
	{ 0, 1 * MIB },		  { 1 * MIB, 0x12a3c0 }, /* _kernel_start, _kernel_end */
	{ 0x12b000, 0x12c2a8 },				 /* the multiboot2 information */
	{ 0x12d000, 0x1385a1 },				 /* a module: kan's configuration */
	{ 0x139000, 0x2f1e40 },				 /* a guest ELF, across the 2 MiB line */
	{ 0x2f2000, 0x4a00abc },			 /* a big guest image, across many */
	{ 0x9001000, 0x9102345 },			 /* a module GRUB placed after the hole */
};
#define N_RAM	   (int)(sizeof(boot_ram) / sizeof(boot_ram[0]))
#define N_RESERVED (int)(sizeof(boot_reserved) / sizeof(boot_reserved[0]))

static bool model_free[MODEL_PAGES]; /* what must be in pm's free list, page by page */

struct block {
	uint64_t start, size;
	bool live;
};
static struct block blocks[MAX_BLOCKS];
static int block_count;

static void boot_like_memory_init(void)
{
	memset(model_free, 0, sizeof(model_free));
	for (int i = 0; i < N_RAM; i++) {
		pmem_add(&pm, boot_ram[i].start, boot_ram[i].end);
		/* RAM counts in whole pages only: rounded inward. */
		for (uint64_t p = (boot_ram[i].start + PAGE_SIZE - 1) / PAGE_SIZE;
		     p < boot_ram[i].end / PAGE_SIZE; p++)
			model_free[p] = true;
	}
	for (int i = 0; i < N_RESERVED; i++) {
		pmem_reserve(&pm, boot_reserved[i].start, boot_reserved[i].end);
		/* A reservation covers every page it touches: rounded outward. */
		for (uint64_t p = boot_reserved[i].start / PAGE_SIZE;
		     p < (boot_reserved[i].end + PAGE_SIZE - 1) / PAGE_SIZE; p++)
			model_free[p] = false;
	}
	block_count = 0;
}

static uint64_t model_free_bytes(void)
{
	uint64_t pages = 0;
	for (uint64_t p = 0; p < MODEL_PAGES; p++)
		pages += model_free[p];
	return pages * PAGE_SIZE;
}

/* The lowest `align`-aligned run of `size` free bytes in the model, or 0. */
static uint64_t model_lowest_fit(uint64_t size, uint64_t align)
{
	for (uint64_t a = align; a + size <= MODEL_END; a += align) {
		bool fits = true;
		for (uint64_t p = a / PAGE_SIZE; fits && p < (a + size) / PAGE_SIZE; p++)
			fits = model_free[p];
		if (fits)
			return a;
	}
	return 0;
}

static bool inside_ram(uint64_t start, uint64_t end)
{
	for (int i = 0; i < N_RAM; i++)
		if (start >= boot_ram[i].start && end <= boot_ram[i].end)
			return true;
	return false;
}

/* pm's free list is sorted, disjoint, never adjacent, and adds up to the model. */
static void assert_consistent(void)
{
	for (int i = 0; i < pm.count; i++) {
		assert_true(pm.free[i].start < pm.free[i].end);
		assert_int_equal(pm.free[i].start % PAGE_SIZE, 0);
		assert_int_equal(pm.free[i].end % PAGE_SIZE, 0);
		if (i > 0)
			assert_true(pm.free[i - 1].end < pm.free[i].start);
		for (uint64_t p = pm.free[i].start / PAGE_SIZE; p < pm.free[i].end / PAGE_SIZE; p++)
			assert_true(model_free[p]);
	}
	assert_int_equal(pmem_free_bytes(&pm), model_free_bytes());
}

/* Every live block: aligned, in RAM, clear of every reservation and of every other block. */
static void assert_blocks_placed_apart(void)
{
	for (int i = 0; i < block_count; i++) {
		const struct block *x = &blocks[i];
		if (!x->live)
			continue;
		assert_int_equal(x->start % (2 * MIB), 0);
		assert_true(inside_ram(x->start, x->start + x->size));
		for (int r = 0; r < N_RESERVED; r++)
			assert_false(overlaps(x->start, x->start + x->size, boot_reserved[r].start,
					      boot_reserved[r].end));
		for (int j = i + 1; j < block_count; j++)
			if (blocks[j].live)
				assert_false(overlaps(x->start, x->start + x->size, blocks[j].start,
						      blocks[j].start + blocks[j].size));
	}
}

/*
 * Allocates blocks of the sizes in `pattern`, round and round, until none of them fits any more.
 * Each one must be the model's lowest fit; each refusal must agree that nothing fits.
 */
static int alloc_until_exhausted(const uint64_t *pattern, int n)
{
	int made = 0;
	for (int misses = 0, k = 0; misses < n; k = (k + 1) % n) {
		uint64_t size = pattern[k];
		uint64_t want = model_lowest_fit(size, 2 * MIB);
		uint64_t p = pmem_alloc(&pm, size, 2 * MIB);
		assert_int_equal(p, want);
		if (!p) {
			misses++;
			continue;
		}
		misses = 0;
		assert_true(block_count < MAX_BLOCKS);
		blocks[block_count++] = (struct block){ p, size, true };
		for (uint64_t q = p / PAGE_SIZE; q < (p + size) / PAGE_SIZE; q++)
			model_free[q] = false;
		assert_int_equal(pmem_free_bytes(&pm), model_free_bytes());
		made++;
	}
	for (int k = 0; k < n; k++)
		assert_int_equal(model_lowest_fit(pattern[k], 2 * MIB), 0);
	return made;
}

static void free_block(struct block *x)
{
	assert_true(x->live);
	pmem_free(&pm, x->start, x->size);
	x->live = false;
	for (uint64_t q = x->start / PAGE_SIZE; q < (x->start + x->size) / PAGE_SIZE; q++)
		model_free[q] = true;
	assert_int_equal(pmem_free_bytes(&pm), model_free_bytes());
}

static void boot_reservations_leave_exactly_the_rest_of_ram_free(void **state)
{
	(void)state;
	boot_like_memory_init();
	/* Worked by hand: [0x4a01000, 0x7fee000) + [0x8300000, 0x9001000) + [0x9103000, 0xffff000).
	 */
	ASSERT_RANGES({ 0x4a01000, 0x7fee000 }, { 0x8300000, 0x9001000 }, { 0x9103000, 0xffff000 });
	assert_int_equal(pmem_free_bytes(&pm), (0x7fee000 - 0x4a01000) + (0x9001000 - 0x8300000) +
						       (0xffff000 - 0x9103000));
	assert_consistent();
}

static void vm_blocks_fill_memory_without_overlap(void **state)
{
	(void)state;
	boot_like_memory_init();
	const uint64_t pattern[] = { 16 * MIB, 2 * MIB, 1 * MIB };
	int made = alloc_until_exhausted(pattern, 3);
	assert_true(made >= 20);
	assert_blocks_placed_apart();
	assert_consistent();
	/* What is left is only scraps no 2 MiB-aligned 1 MiB block fits in. */
	assert_int_equal(pmem_alloc(&pm, 1 * MIB, 2 * MIB), 0);
	assert_int_equal(pmem_alloc(&pm, 16 * MIB, 2 * MIB), 0);
}

static void freed_vm_blocks_are_reused_without_overlap(void **state)
{
	(void)state;
	boot_like_memory_init();
	const uint64_t initial = pmem_free_bytes(&pm);
	const uint64_t first[] = { 16 * MIB, 2 * MIB, 1 * MIB };
	alloc_until_exhausted(first, 3);
	int first_count = block_count;

	/* VMs end: every other block, and every 16 MiB one, comes back. */
	for (int i = 0; i < first_count; i++)
		if (i % 2 == 0 || blocks[i].size == 16 * MIB)
			free_block(&blocks[i]);
	assert_consistent();
	assert_blocks_placed_apart();

	/* New VMs of other sizes fill the holes again. */
	const uint64_t second[] = { 4 * MIB, 1 * MIB, 16 * MIB, 2 * MIB };
	assert_true(alloc_until_exhausted(second, 4) > 0);
	assert_blocks_placed_apart();
	assert_consistent();

	/* And when every VM is gone, the free list is what boot left. */
	for (int i = 0; i < block_count; i++)
		if (blocks[i].live)
			free_block(&blocks[i]);
	assert_int_equal(pmem_free_bytes(&pm), initial);
	ASSERT_RANGES({ 0x4a01000, 0x7fee000 }, { 0x8300000, 0x9001000 }, { 0x9103000, 0xffff000 });
}

#define PMEM_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PMEM_TEST(add_shrinks_a_range_inward_to_whole_pages),
		PMEM_TEST(add_of_less_than_a_whole_page_adds_nothing),
		PMEM_TEST(adjacent_ranges_merge_in_either_order),
		PMEM_TEST(filling_the_hole_between_two_ranges_merges_all_three),
		PMEM_TEST(ranges_stay_sorted_whatever_the_order_they_come_in),
		PMEM_TEST(overlapping_adds_count_memory_once),
		PMEM_TEST(an_add_covering_several_ranges_becomes_one),
		PMEM_TEST(reserve_in_the_middle_splits_a_range),
		PMEM_TEST(reserve_grows_outward_to_whole_pages),
		PMEM_TEST(reserve_trims_both_ends_and_removes_what_it_covers),
		PMEM_TEST(reserve_of_memory_not_in_the_list_changes_nothing),
		PMEM_TEST(alloc_aligns_to_2m),
		PMEM_TEST(alloc_takes_the_lowest_block_that_fits),
		PMEM_TEST(alloc_rounds_a_size_up_to_whole_pages),
		PMEM_TEST(alloc_fails_with_0_and_changes_nothing_when_no_block_fits),
		PMEM_TEST(alloc_from_an_empty_list_fails),
		PMEM_TEST(alloc_near_the_top_of_the_address_space_does_not_wrap),
		PMEM_TEST(alloc_top_takes_the_highest_aligned_block_above_4g),
		PMEM_TEST(alloc_top_falls_back_to_lower_ranges_then_fails),
		PMEM_TEST(freed_memory_is_reused_and_merges_back),
		PMEM_TEST(reserved_memory_is_never_handed_out),
		PMEM_TEST(free_bytes_is_the_sum_of_the_ranges),
		PMEM_TEST(boot_reservations_leave_exactly_the_rest_of_ram_free),
		PMEM_TEST(vm_blocks_fill_memory_without_overlap),
		PMEM_TEST(freed_vm_blocks_are_reused_without_overlap),
	};
	return cmocka_run_group_tests_name("pmem", tests, NULL, NULL);
}
