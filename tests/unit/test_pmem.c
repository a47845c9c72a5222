/* The physical memory free list (kernel/pmem.c): merging, reserving, aligned allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
		const struct mem_range want[] = {__VA_ARGS__};                                     \
		assert_ranges(sizeof(want) / sizeof(want[0]), want);                               \
	} while (0)

static void add_shrinks_a_range_inward_to_whole_pages(void **state)
{
	(void)state;
	pmem_add(&pm, 0x1234, 0x5678);
	ASSERT_RANGES({0x2000, 0x5000});
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
	pmem_add(&pm, 0, 1 * MIB);       /* before */
	ASSERT_RANGES({0, 3 * MIB});
}

static void filling_the_hole_between_two_ranges_merges_all_three(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 3 * MIB, 4 * MIB);
	ASSERT_RANGES({1 * MIB, 2 * MIB}, {3 * MIB, 4 * MIB});
	pmem_add(&pm, 2 * MIB, 3 * MIB);
	ASSERT_RANGES({1 * MIB, 4 * MIB});
}

static void ranges_stay_sorted_whatever_the_order_they_come_in(void **state)
{
	(void)state;
	pmem_add(&pm, 64 * MIB, 128 * MIB);
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 16 * MIB, 32 * MIB);
	ASSERT_RANGES({1 * MIB, 2 * MIB}, {16 * MIB, 32 * MIB}, {64 * MIB, 128 * MIB});
	assert_int_equal(pmem_free_bytes(&pm), 1 * MIB + 16 * MIB + 64 * MIB);
}

static void overlapping_adds_count_memory_once(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 2 * MIB);
	pmem_add(&pm, 1 * MIB, 3 * MIB);
	pmem_add(&pm, 512 * KIB, 1 * MIB);
	ASSERT_RANGES({0, 3 * MIB});
	assert_int_equal(pmem_free_bytes(&pm), 3 * MIB);
}

static void an_add_covering_several_ranges_becomes_one(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB, 2 * MIB);
	pmem_add(&pm, 4 * MIB, 5 * MIB);
	pmem_add(&pm, 8 * MIB, 9 * MIB);
	pmem_add(&pm, 0, 16 * MIB);
	ASSERT_RANGES({0, 16 * MIB});
}

static void reserve_in_the_middle_splits_a_range(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 16 * MIB);
	pmem_reserve(&pm, 4 * MIB, 8 * MIB);
	ASSERT_RANGES({0, 4 * MIB}, {8 * MIB, 16 * MIB});
	assert_int_equal(pmem_free_bytes(&pm), 12 * MIB);
}

static void reserve_grows_outward_to_whole_pages(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 0x10000);
	pmem_reserve(&pm, 0x3001, 0x4fff);
	ASSERT_RANGES({0, 0x3000}, {0x5000, 0x10000});
}

static void reserve_trims_both_ends_and_removes_what_it_covers(void **state)
{
	(void)state;
	pmem_add(&pm, 0, 2 * MIB);
	pmem_add(&pm, 3 * MIB, 4 * MIB);
	pmem_add(&pm, 5 * MIB, 8 * MIB);
	pmem_reserve(&pm, 1 * MIB, 6 * MIB);
	ASSERT_RANGES({0, 1 * MIB}, {6 * MIB, 8 * MIB});
}

static void reserve_of_memory_not_in_the_list_changes_nothing(void **state)
{
	(void)state;
	pmem_add(&pm, 16 * MIB, 32 * MIB);
	pmem_reserve(&pm, 0, 1 * MIB);
	pmem_reserve(&pm, 32 * MIB, 64 * MIB);
	ASSERT_RANGES({16 * MIB, 32 * MIB});
}

static void alloc_aligns_to_2m(void **state)
{
	(void)state;
	pmem_add(&pm, 1 * MIB + 4 * KIB, 64 * MIB);
	uint64_t p = pmem_alloc(&pm, 16 * MIB, 2 * MIB);
	assert_int_equal(p, 2 * MIB);
	ASSERT_RANGES({1 * MIB + 4 * KIB, 2 * MIB}, {18 * MIB, 64 * MIB});
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
	ASSERT_RANGES({1 * MIB, 3 * MIB + 4 * KIB}, {5 * MIB, 6 * MIB});
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
	ASSERT_RANGES({2 * MIB, 64 * MIB});
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
		{0, 1 * MIB},
		{1 * MIB, 1 * MIB + 300 * KIB},
		{0x10b000, 0x10b800},
		{5 * MIB + 100, 5 * MIB + 9000},
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
		PMEM_TEST(freed_memory_is_reused_and_merges_back),
		PMEM_TEST(reserved_memory_is_never_handed_out),
		PMEM_TEST(free_bytes_is_the_sum_of_the_ranges),
	};
	return cmocka_run_group_tests_name("pmem", tests, NULL, NULL);
}
