/* Guest-physical page tables (kernel/gpt.c), as EPT uses them: page sizes, table counts, leaf bits
 * and translation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/gpt.h"
#include "vmx/vmx_defs.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define RAM_FLAGS (EPT_RWX | EPT_MEMTYPE_WB) /* what vmx_vm.c maps guest RAM with */

/* Table pages from aligned_alloc; a table's "physical address" is its host pointer. */
struct host_tables {
	void *pages[4096];
	unsigned count;
	unsigned limit; /* fail the allocation after this many pages */
};

static uint64_t host_alloc_table(void *ctx)
{
	struct host_tables *t = ctx;
	if (t->count == t->limit)
		return 0;
	void *page = aligned_alloc(4096, 4096);
	assert_non_null(page);
	memset(page, 0, 4096);
	t->pages[t->count++] = page;
	return (uint64_t)(uintptr_t)page;
}

static void *host_table_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (void *)(uintptr_t)phys;
}

struct fixture {
	struct host_tables tables;
	struct gpt_allocator alloc;
	struct gpt_stats stats;
	uint64_t pml4;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->tables.limit = 4096;
	f->alloc = (struct gpt_allocator){ host_alloc_table, host_table_ptr, &f->tables, NULL };
	f->pml4 = gpt_create(&f->alloc, &f->stats);
	if (!f->pml4)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (unsigned i = 0; i < f->tables.count; i++)
		free(f->tables.pages[i]);
	free(f);
	return 0;
}

static int map(struct fixture *f, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned largest)
{
	return gpt_map(&f->alloc, f->pml4, gpa, hpa, size, RAM_FLAGS, largest, &f->stats);
}

/* The raw entry for `gpa` at `level`, walking the tables by hand (level 4 is the PML4). */
static uint64_t raw_entry(struct fixture *f, uint64_t gpa, unsigned level)
{
	uint64_t *table = (uint64_t *)(uintptr_t)f->pml4;
	for (unsigned l = 4;; l--) {
		uint64_t entry = table[(gpa >> (12 + 9 * (l - 1))) & 511];
		if (l == level)
			return entry;
		table = (uint64_t *)(uintptr_t)(entry & EPT_ADDRESS_MASK);
	}
}

static void assert_translates(struct fixture *f, uint64_t gpa, uint64_t want_hpa)
{
	uint64_t hpa = 0, flags = 0;
	assert_true(gpt_translate(&f->alloc, f->pml4, gpa, &hpa, &flags));
	assert_int_equal(hpa, want_hpa);
}

static void assert_unmapped(struct fixture *f, uint64_t gpa)
{
	uint64_t hpa, flags;
	assert_false(gpt_translate(&f->alloc, f->pml4, gpa, &hpa, &flags));
}

static void create_gives_an_empty_pml4_and_counts_one_table(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(f->stats.tables, 1);
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)f->pml4;
	for (int i = 0; i < 512; i++)
		assert_int_equal(pml4[i], 0);
	assert_unmapped(f, 0);
}

static void create_fails_cleanly_when_no_table_can_be_allocated(void **state)
{
	(void)state;
	struct host_tables tables = { .limit = 0 };
	struct gpt_allocator alloc = { host_alloc_table, host_table_ptr, &tables, NULL };
	struct gpt_stats stats = { 0 };
	assert_int_equal(gpt_create(&alloc, &stats), 0);
	assert_int_equal(stats.tables, 0);
}

static void ram_16m_at_a_2m_aligned_hpa_uses_eight_2m_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 0x40000000 + 2 * MIB, 16 * MIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 8);
	assert_int_equal(f->stats.pages[1], 0);
	assert_int_equal(f->stats.pages[3], 0);
	assert_int_equal(f->stats.tables, 3); /* PML4, PDPT, one page directory */
}

static void one_gib_aligned_with_largest_level_3_uses_one_1g_page(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 4 * GIB, GIB, 3), 0);
	assert_int_equal(f->stats.pages[3], 1);
	assert_int_equal(f->stats.pages[2], 0);
	assert_int_equal(f->stats.tables, 2); /* PML4, PDPT */
	assert_translates(f, 0x12345678, 4 * GIB + 0x12345678);
	assert_int_equal(raw_entry(f, 0, 3), 4 * GIB | RAM_FLAGS | EPT_LARGE_PAGE);
}

static void one_gib_without_1g_support_uses_2m_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 4 * GIB, GIB, 2), 0);
	assert_int_equal(f->stats.pages[3], 0);
	assert_int_equal(f->stats.pages[2], 512);
	assert_int_equal(f->stats.tables, 3);
}

static void an_hpa_not_2m_aligned_falls_back_to_4k_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 2 * MIB + 4 * KIB, 16 * MIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 0);
	assert_int_equal(f->stats.pages[1], 4096);
	assert_int_equal(f->stats.tables, 3 + 8); /* and one page table per 2 MiB */
	assert_translates(f, 0, 2 * MIB + 4 * KIB);
	assert_translates(f, 16 * MIB - 1, 18 * MIB + 4 * KIB - 1);
}

static void largest_level_1_maps_only_4k_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 2 * MIB, 16 * MIB, 1), 0);
	assert_int_equal(f->stats.pages[1], 4096);
	assert_int_equal(f->stats.pages[2], 0);
	assert_int_equal(f->stats.tables, 11);
}

static void a_size_not_a_multiple_of_2m_ends_in_4k_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 2 * MIB, 3 * MIB + 4 * KIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 1);
	assert_int_equal(f->stats.pages[1], 257);
	assert_int_equal(f->stats.tables, 4);
}

static void a_range_across_a_1g_boundary_needs_a_page_directory_on_each_side(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, GIB - 2 * MIB, 8 * GIB - 2 * MIB, 4 * MIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 2);
	assert_int_equal(f->stats.tables, 4);
	assert_translates(f, GIB - 1, 8 * GIB - 1);
	assert_translates(f, GIB, 8 * GIB);
}

static void translate_keeps_the_offset_inside_a_2m_page(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 16 * MIB, 2), 0);
	assert_translates(f, 0, 64 * MIB);
	assert_translates(f, 0x1234, 64 * MIB + 0x1234);
	assert_translates(f, 5 * MIB + 0x567, 69 * MIB + 0x567);
	assert_translates(f, 16 * MIB - 1, 80 * MIB - 1);
}

static void just_past_the_end_of_ram_is_unmapped(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 16 * MIB, 3), 0);
	assert_translates(f, 16 * MIB - 1, 80 * MIB - 1);
	assert_unmapped(f, 16 * MIB);
	assert_unmapped(f, 512 * MIB);
	assert_unmapped(f, 4 * GIB);
	assert_unmapped(f, 0xfee00000); /* where a local APIC would be */
}

static void just_past_the_end_of_4k_mapped_ram_is_unmapped(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 1 * MIB + 12 * KIB, 1), 0);
	assert_translates(f, 1 * MIB + 12 * KIB - 1, 65 * MIB + 12 * KIB - 1);
	assert_unmapped(f, 1 * MIB + 12 * KIB);
}

static void a_2m_leaf_has_rwx_write_back_and_the_large_page_bit(void **state)
{
	struct fixture *f = *state;
	uint64_t hpa = 64 * MIB;
	assert_int_equal(map(f, 0, hpa, 2 * MIB, 3), 0);
	uint64_t leaf = raw_entry(f, 0, 2);
	assert_int_equal(leaf & EPT_ADDRESS_MASK, hpa);
	assert_int_equal(leaf & 7, 7);			 /* read, write, execute (SDM 29.3.2) */
	assert_int_equal((leaf >> 3) & 7, 6);		 /* memory type WB */
	assert_int_equal(leaf & (1ull << 7), 1ull << 7); /* maps a page, not a table */
	assert_int_equal(leaf, hpa | 0xb7);

	uint64_t hpa_out, flags;
	assert_true(gpt_translate(&f->alloc, f->pml4, 0, &hpa_out, &flags));
	assert_int_equal(flags, EPT_RWX | EPT_MEMTYPE_WB | EPT_LARGE_PAGE);
}

static void a_4k_leaf_has_rwx_write_back_and_no_large_page_bit(void **state)
{
	struct fixture *f = *state;
	uint64_t hpa = 64 * MIB + 4 * KIB;
	assert_int_equal(map(f, 0, hpa, 4 * KIB, 3), 0);
	assert_int_equal(raw_entry(f, 0, 1), hpa | 0x37);

	uint64_t hpa_out, flags;
	assert_true(gpt_translate(&f->alloc, f->pml4, 0x10, &hpa_out, &flags));
	assert_int_equal(hpa_out, hpa + 0x10);
	assert_int_equal(flags, EPT_RWX | EPT_MEMTYPE_WB);
}

static void tables_above_a_leaf_are_rwx_with_no_memory_type_or_large_bit(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 4 * KIB, 3), 0);
	for (unsigned level = 4; level >= 2; level--) {
		uint64_t entry = raw_entry(f, 0, level);
		/* Bits 3-7 are reserved in an entry that points to a table. */
		assert_int_equal(entry & 0xff, EPT_RWX);
		assert_int_not_equal(entry & EPT_ADDRESS_MASK, 0);
	}
}

static void leaf_flags_are_taken_as_given_within_the_low_12_bits(void **state)
{
	struct fixture *f = *state;
	uint64_t hpa, flags;
	assert_int_equal(gpt_map(&f->alloc, f->pml4, 0, 64 * MIB, 4 * KIB,
				 EPT_READ | EPT_MEMTYPE_WB | (1ull << 63), 1, &f->stats),
			 0);
	assert_true(gpt_translate(&f->alloc, f->pml4, 0, &hpa, &flags));
	assert_int_equal(flags, EPT_READ | EPT_MEMTYPE_WB);
	assert_int_equal(raw_entry(f, 0, 1) >> 63, 0);
}

static void an_overlapping_map_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 16 * MIB, 3), 0);
	assert_int_equal(map(f, 8 * MIB, 128 * MIB, 2 * MIB, 3), -1);  /* same page size */
	assert_int_equal(map(f, 4 * KIB, 128 * MIB, 4 * KIB, 3), -1);  /* 4K inside a 2M page */
	assert_int_equal(map(f, 14 * MIB, 128 * MIB, 4 * MIB, 3), -1); /* runs off the end */
	assert_translates(f, 8 * MIB, 72 * MIB); /* the first mapping is untouched */
}

static void a_large_page_over_existing_4k_pages_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 4 * KIB, 64 * MIB + 4 * KIB, 4 * KIB, 3), 0);
	assert_int_equal(map(f, 0, 128 * MIB, 2 * MIB, 3), -1);
	assert_int_equal(map(f, 0, 4 * GIB, GIB, 3), -1);
}

static void a_neighbouring_range_maps_beside_the_first(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 64 * MIB, 16 * MIB, 3), 0);
	assert_int_equal(map(f, 16 * MIB, 256 * MIB, 2 * MIB, 3), 0);
	assert_translates(f, 16 * MIB - 1, 80 * MIB - 1);
	assert_translates(f, 16 * MIB, 256 * MIB);
	assert_int_equal(f->stats.tables, 3);
}

static void addresses_or_sizes_not_4k_aligned_are_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0x800, 64 * MIB, 4 * KIB, 3), -1);
	assert_int_equal(map(f, 0, 64 * MIB + 0x800, 4 * KIB, 3), -1);
	assert_int_equal(map(f, 0, 64 * MIB, 4 * KIB + 1, 3), -1);
	assert_int_equal(f->stats.tables, 1);
	assert_int_equal(f->stats.pages[1], 0);
}

static void running_out_of_table_pages_fails_the_map(void **state)
{
	struct fixture *f = *state;
	f->tables.limit = f->tables.count + 2; /* a PDPT and a page directory, no page table */
	assert_int_equal(map(f, 0, 2 * MIB + 4 * KIB, 4 * KIB, 3), -1);
	assert_unmapped(f, 0);
}

static void a_64m_vm_needs_three_tables_with_2m_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 2 * GIB, 64 * MIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 32);
	assert_int_equal(f->stats.tables, 3);
}

static void a_64m_vm_needs_35_tables_with_4k_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 2 * GIB, 64 * MIB, 1), 0);
	assert_int_equal(f->stats.pages[1], 16384);
	assert_int_equal(f->stats.tables, 3 + 32);
	assert_int_equal(f->tables.count, f->stats.tables);
}

/* Issue 12: VM RAM now comes from the top of memory, above 4 GiB on big machines. */
static void ram_above_4g_keeps_every_address_bit(void **state)
{
	struct fixture *f = *state;
	uint64_t hpa = 6 * GIB + 2 * MIB; /* 2 MiB-aligned, as vm_create allocates */
	assert_int_equal(map(f, 0, hpa, 16 * MIB, 3), 0);
	assert_int_equal(f->stats.pages[2], 8);
	assert_int_equal(raw_entry(f, 0, 2), hpa | 0xb7);
	assert_translates(f, 0, hpa);
	assert_translates(f, 16 * MIB - 1, hpa + 16 * MIB - 1);
	assert_unmapped(f, 16 * MIB);
}

static void ram_far_above_4g_in_1g_and_4k_pages(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(map(f, 0, 300 * GIB, 1 * GIB, 3), 0); /* one 1 GiB page */
	assert_int_equal(raw_entry(f, 0, 3), 300 * GIB | 0xb7);
	assert_int_equal(map(f, 1 * GIB, 0xfffffff000ull, 4 * KIB, 3),
			 0); /* the last 4 KiB of 1 TiB */
	assert_translates(f, 123 * MIB + 5, 300 * GIB + 123 * MIB + 5);
	assert_translates(f, 1 * GIB + 0xabc, 0xfffffffabcull);
}

#define EPT_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		EPT_TEST(create_gives_an_empty_pml4_and_counts_one_table),
		cmocka_unit_test(create_fails_cleanly_when_no_table_can_be_allocated),
		EPT_TEST(ram_16m_at_a_2m_aligned_hpa_uses_eight_2m_pages),
		EPT_TEST(one_gib_aligned_with_largest_level_3_uses_one_1g_page),
		EPT_TEST(one_gib_without_1g_support_uses_2m_pages),
		EPT_TEST(an_hpa_not_2m_aligned_falls_back_to_4k_pages),
		EPT_TEST(largest_level_1_maps_only_4k_pages),
		EPT_TEST(a_size_not_a_multiple_of_2m_ends_in_4k_pages),
		EPT_TEST(a_range_across_a_1g_boundary_needs_a_page_directory_on_each_side),
		EPT_TEST(translate_keeps_the_offset_inside_a_2m_page),
		EPT_TEST(just_past_the_end_of_ram_is_unmapped),
		EPT_TEST(just_past_the_end_of_4k_mapped_ram_is_unmapped),
		EPT_TEST(a_2m_leaf_has_rwx_write_back_and_the_large_page_bit),
		EPT_TEST(a_4k_leaf_has_rwx_write_back_and_no_large_page_bit),
		EPT_TEST(tables_above_a_leaf_are_rwx_with_no_memory_type_or_large_bit),
		EPT_TEST(leaf_flags_are_taken_as_given_within_the_low_12_bits),
		EPT_TEST(an_overlapping_map_is_refused),
		EPT_TEST(a_large_page_over_existing_4k_pages_is_refused),
		EPT_TEST(a_neighbouring_range_maps_beside_the_first),
		EPT_TEST(addresses_or_sizes_not_4k_aligned_are_refused),
		EPT_TEST(running_out_of_table_pages_fails_the_map),
		EPT_TEST(a_64m_vm_needs_three_tables_with_2m_pages),
		EPT_TEST(a_64m_vm_needs_35_tables_with_4k_pages),
		EPT_TEST(ram_above_4g_keeps_every_address_bit),
		EPT_TEST(ram_far_above_4g_in_1g_and_4k_pages),
	};
	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
