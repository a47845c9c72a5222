/* kan's own page tables (arch/x86_64/page_map.c): page sizes, MTRR splits, flags, RAM above 4 GiB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/page_map.h"
#include "arch/x86_64/paging.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define PAGE_LARGE   (1ull << 7)
#define ADDRESS_MASK 0x000ffffffffff000ull
#define RW_NX	     (PAGE_PRESENT | PAGE_WRITABLE | PAGE_NX)

/* Table pages from aligned_alloc: a table's "physical address" is its host pointer. */
static void *pages[8192];
static unsigned page_count, page_limit;
static struct mtrr_state mtrrs;
static struct page_map map;

static uint64_t alloc_table(void)
{
	if (page_count == page_limit)
		return 0;
	void *page = aligned_alloc(4096, 4096);
	assert_non_null(page);
	memset(page, 0, 4096);
	pages[page_count++] = page;
	return (uint64_t)(uintptr_t)page;
}

/* MTRRs on, everything WB: no split for types. 1 GiB pages. */
static int setup(void **state)
{
	(void)state;
	page_count = 0;
	page_limit = 8192;
	memset(&mtrrs, 0, sizeof(mtrrs));
	mtrrs.enabled = true;
	mtrrs.default_type = MTRR_TYPE_WB;
	mtrrs.address_mask = ((1ull << 40) - 1) & ~0xfffull;
	map = (struct page_map){ .alloc_table = alloc_table, .largest_level = 3, .mtrrs = &mtrrs };
	map.pml4 = (uint64_t *)(uintptr_t)alloc_table();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < page_count; i++)
		free(pages[i]);
	return 0;
}

struct walk {
	uint64_t entry; /* the leaf, or 0 if not mapped */
	unsigned level; /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
	uint64_t upper; /* the flags of every entry above it, ANDed */
};

static struct walk walk(uint64_t addr)
{
	uint64_t *table = map.pml4, upper = ~0ull;
	for (unsigned level = 4;; level--) {
		uint64_t e = table[(addr >> (3 + 9 * level)) & 511];
		if (!(e & PAGE_PRESENT))
			return (struct walk){ 0, level, upper };
		if (level == 1 || (level < 4 && (e & PAGE_LARGE)))
			return (struct walk){ e, level, upper };
		upper &= e;
		table = (uint64_t *)(uintptr_t)(e & ADDRESS_MASK);
	}
}

/* `addr` is mapped to itself by a page of `level` with exactly `flags`, and only the leaf
 * restricts it. */
static void assert_page(uint64_t addr, unsigned level, uint64_t flags)
{
	struct walk w = walk(addr);
	assert_int_equal(w.level, level);
	uint64_t size = 1ull << (12 + 9 * (level - 1));
	assert_int_equal(w.entry & ADDRESS_MASK, addr & ~(size - 1));
	assert_int_equal(w.entry & ~ADDRESS_MASK & ~PAGE_LARGE, flags);
	assert_int_equal(!!(w.entry & PAGE_LARGE), level > 1);
	/* The tables above are writable and executable: the leaf alone decides. */
	assert_int_equal(w.upper & (PAGE_WRITABLE | PAGE_NX), PAGE_WRITABLE);
}

static void assert_unmapped(uint64_t addr)
{
	assert_int_equal(walk(addr).entry, 0);
}

static void the_low_4g_takes_four_1g_pages_where_types_agree(void **state)
{
	(void)state;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	for (uint64_t a = 0; a < 4 * GIB; a += GIB)
		assert_page(a + 12345 * KIB, 3, RW_NX);
	assert_int_equal(page_count, 2); /* PML4 and one PDPT */
	assert_unmapped(4 * GIB);
	assert_int_equal(map.mtrr_splits, 0);
}

static void without_1g_pages_the_low_4g_takes_2m_pages(void **state)
{
	(void)state;
	map.largest_level = 2;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	assert_page(0, 2, RW_NX);
	assert_page(4 * GIB - 1, 2, RW_NX);
	assert_int_equal(page_count, 2 + 4); /* and four page directories */
}

/* Bochs and SeaBIOS: WB below 1 MiB but the VGA window UC, the rest WB up to the PCI hole. */
static void types_that_change_inside_a_large_page_split_it(void **state)
{
	(void)state;
	mtrrs.fixed_enabled = true;
	memset(mtrrs.fixed, MTRR_TYPE_WB, sizeof(mtrrs.fixed));
	for (unsigned i = 16; i < 24; i++) /* 0xa0000-0xbffff */
		mtrrs.fixed[i] = MTRR_TYPE_UC;
	mtrrs.variable[0].base = (3 * GIB + 512 * MIB) | MTRR_TYPE_UC; /* 3.5-4 GiB */
	mtrrs.variable[0].mask = (~(512 * MIB - 1) & mtrrs.address_mask) | MTRR_VARIABLE_VALID;
	mtrrs.variable_count = 1;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	assert_page(0, 1, RW_NX); /* the first 2 MiB: 4 KiB pages */
	assert_page(0xa0000, 1, RW_NX);
	assert_page(2 * MIB, 2, RW_NX); /* the rest of the first GiB: 2 MiB pages */
	assert_page(1 * GIB, 3, RW_NX); /* one type: 1 GiB */
	assert_page(3 * GIB, 2, RW_NX); /* the GiB the UC range starts inside */
	assert_page(3 * GIB + 600 * MIB, 2, RW_NX);
	assert_int_equal(map.mtrr_splits, 3); /* [0, 1G), [0, 2M), [3G, 4G) */
}

static void changing_flags_splits_only_the_pages_it_must(void **state)
{
	(void)state;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	/* kan's text at 1 MiB, read-only and executable */
	assert_true(page_map_range(&map, 1 * MIB, 1 * MIB + 40 * KIB, PAGE_PRESENT, false));
	assert_page(1 * MIB, 1, PAGE_PRESENT);
	assert_page(1 * MIB + 36 * KIB, 1, PAGE_PRESENT);
	assert_page(1 * MIB + 40 * KIB, 1, RW_NX);
	assert_page(1 * MIB - 4 * KIB, 1, RW_NX);
	assert_page(2 * MIB, 2, RW_NX);
	assert_page(1 * GIB, 3, RW_NX);
	/* the local APIC's page, uncached */
	assert_true(
		page_map_range(&map, 0xfee00000, 0xfee01000, RW_NX | PAGE_PCD | PAGE_PWT, false));
	assert_page(0xfee00000, 1, RW_NX | PAGE_PCD | PAGE_PWT);
	assert_page(0xfee01000, 1, RW_NX);
	assert_page(0xfec00000, 2, RW_NX);
	/* a whole large page changes in place */
	assert_true(page_map_range(&map, 2 * GIB, 3 * GIB, PAGE_PRESENT | PAGE_NX, false));
	assert_page(2 * GIB, 3, PAGE_PRESENT | PAGE_NX);
}

static void a_guard_page_is_unmapped_and_its_neighbours_stay(void **state)
{
	(void)state;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	assert_true(page_map_range(&map, 0x40000000 + 8 * MIB, 0x40000000 + 8 * MIB + 4 * KIB, 0,
				   false));
	assert_unmapped(0x40000000 + 8 * MIB);
	assert_page(0x40000000 + 8 * MIB + 4 * KIB, 1, RW_NX);
	assert_page(0x40000000 + 8 * MIB - 4 * KIB, 2, RW_NX); /* another 2 MiB page */
	assert_page(0x40000000, 2, RW_NX);
	/* unmapping what is not mapped changes nothing and needs no table */
	unsigned tables = page_count;
	assert_true(page_map_range(&map, 100 * GIB, 101 * GIB, 0, false));
	assert_int_equal(page_count, tables);
}

/* RAM above 4 GiB, then a firmware table: only what is not mapped yet is added. */
static void only_missing_maps_ram_above_4g_and_leaves_mapped_pages_alone(void **state)
{
	(void)state;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	assert_true(page_map_range(&map, 4 * GIB, 6 * GIB + 2 * MIB + 8 * KIB, RW_NX, true));
	assert_page(4 * GIB, 3, RW_NX);
	assert_page(5 * GIB + 7, 3, RW_NX);
	assert_page(6 * GIB, 2, RW_NX);
	assert_page(6 * GIB + 2 * MIB + 4 * KIB, 1, RW_NX);
	assert_unmapped(6 * GIB + 2 * MIB + 8 * KIB);
	/* an ACPI table across the end of RAM: read-only, and the RAM keeps its mapping */
	assert_true(page_map_range(&map, 6 * GIB + 2 * MIB, 6 * GIB + 2 * MIB + 64 * KIB,
				   PAGE_PRESENT | PAGE_NX, true));
	assert_page(6 * GIB + 2 * MIB + 4 * KIB, 1, RW_NX);
	assert_page(6 * GIB + 2 * MIB + 8 * KIB, 1, PAGE_PRESENT | PAGE_NX);
	assert_page(6 * GIB + 2 * MIB + 60 * KIB, 1, PAGE_PRESENT | PAGE_NX);
	assert_unmapped(6 * GIB + 2 * MIB + 64 * KIB);
	/* far up, in another PML4 entry */
	assert_true(page_map_range(&map, 600 * GIB, 601 * GIB, RW_NX, true));
	assert_page(600 * GIB + 5 * MIB, 3, RW_NX);
}

static void a_user_page_has_the_user_bit_at_every_level(void **state)
{
	(void)state;
	assert_true(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
	assert_true(page_map_range(&map, 0x141000, 0x142000, PAGE_PRESENT | PAGE_USER, false));
	struct walk w = walk(0x141000);
	assert_int_equal(w.entry & PAGE_USER, PAGE_USER);
	assert_int_equal(w.upper & PAGE_USER, PAGE_USER);
	assert_int_equal(walk(0x140000).entry & PAGE_USER, 0);
}

static void running_out_of_tables_fails(void **state)
{
	(void)state;
	page_limit = 2;
	map.largest_level = 2; /* needs four page directories */
	assert_false(page_map_range(&map, 0, 4 * GIB, RW_NX, false));
}

#define PAGE_MAP_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAGE_MAP_TEST(the_low_4g_takes_four_1g_pages_where_types_agree),
		PAGE_MAP_TEST(without_1g_pages_the_low_4g_takes_2m_pages),
		PAGE_MAP_TEST(types_that_change_inside_a_large_page_split_it),
		PAGE_MAP_TEST(changing_flags_splits_only_the_pages_it_must),
		PAGE_MAP_TEST(a_guard_page_is_unmapped_and_its_neighbours_stay),
		PAGE_MAP_TEST(only_missing_maps_ram_above_4g_and_leaves_mapped_pages_alone),
		PAGE_MAP_TEST(a_user_page_has_the_user_bit_at_every_level),
		PAGE_MAP_TEST(running_out_of_tables_fails),
	};
	return cmocka_run_group_tests_name("page_map", tests, NULL, NULL);
}
