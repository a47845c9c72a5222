/* Memory types from the MTRRs (arch/x86_64/mtrr.c): which large pages have one type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/mtrr.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

static struct mtrr_state m;

/* MTRRs on, default `type`, fixed ranges off, 36 address bits (Bochs, older parts). */
static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	m.enabled = true;
	m.default_type = MTRR_TYPE_UC;
	m.address_mask = ((1ull << 36) - 1) & ~0xfffull;
	return 0;
}

/* A variable range [base, base + size), size a power of two, as firmware programs one. */
static void variable(uint64_t base, uint64_t size, uint8_t type)
{
	m.variable[m.variable_count].base = base | type;
	m.variable[m.variable_count].mask = (~(size - 1) & m.address_mask) | MTRR_VARIABLE_VALID;
	m.variable_count++;
}

/* What SeaBIOS and OVMF set below 1 MiB: RAM WB, the VGA window UC, the BIOS area WP. */
static void pc_fixed_ranges(void)
{
	m.fixed_enabled = true;
	memset(m.fixed, MTRR_TYPE_WB, sizeof(m.fixed));
	for (unsigned i = 8; i < 16; i++) /* 0xa0000-0xbffff, 16 KiB each */
		m.fixed[8 + 8 + (i - 8)] = MTRR_TYPE_UC;
	for (unsigned i = 24 + 32; i < 88; i++) /* 0xe0000-0xfffff */
		m.fixed[i] = MTRR_TYPE_WP;
}

static void disabled_mtrrs_make_everything_uc(void **state)
{
	(void)state;
	m.enabled = false;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 0, 1 * GIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 0xfee00000, 2 * MIB), MTRR_TYPE_UC);
}

static void no_variable_range_gives_the_default_type(void **state)
{
	(void)state;
	m.default_type = MTRR_TYPE_WB;
	assert_int_equal(mtrr_type(&m, 5 * GIB, 1 * GIB), MTRR_TYPE_WB);
}

static void a_page_inside_or_outside_a_range_has_one_type(void **state)
{
	(void)state;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 0, 1 * GIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 2 * GIB - 2 * MIB, 2 * MIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 2 * GIB, 2 * MIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 3 * GIB, 1 * GIB), MTRR_TYPE_UC);
}

static void a_page_across_a_range_boundary_is_mixed(void **state)
{
	(void)state;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	variable(2 * GIB, 512 * MIB, MTRR_TYPE_WB); /* RAM up to 2.5 GiB */
	assert_int_equal(mtrr_type(&m, 2 * GIB, 1 * GIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 2 * GIB + 510 * MIB, 2 * MIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 2 * GIB + 512 * MIB, 2 * MIB), MTRR_TYPE_UC);
}

/* The local APIC's page made UC inside a WB default: its 2 MiB page must be split. */
static void a_4k_range_makes_its_2m_page_mixed(void **state)
{
	(void)state;
	m.default_type = MTRR_TYPE_WB;
	variable(0xfee00000, 4 * KIB, MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 0xfee00000, 2 * MIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 0xfee00000, 4 * KIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 0xfee01000, 4 * KIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 0xfec00000, 2 * MIB), MTRR_TYPE_WB);
}

static void overlapping_ranges_follow_the_sdm(void **state)
{
	(void)state;
	variable(0, 4 * GIB, MTRR_TYPE_WB);
	variable(1 * GIB, 1 * GIB, MTRR_TYPE_WT); /* WT beats WB */
	variable(3 * GIB, 1 * GIB, MTRR_TYPE_UC); /* UC beats all */
	variable(0, 512 * MIB, MTRR_TYPE_WB);	  /* the same type twice is that type */
	assert_int_equal(mtrr_type(&m, 0, 2 * MIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 1 * GIB, 1 * GIB), MTRR_TYPE_WT);
	assert_int_equal(mtrr_type(&m, 3 * GIB, 2 * MIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 2 * GIB, 1 * GIB), MTRR_TYPE_WB);
}

static void an_invalid_variable_range_is_ignored(void **state)
{
	(void)state;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	m.variable[0].mask &= ~MTRR_VARIABLE_VALID;
	assert_int_equal(mtrr_type(&m, 0, 1 * GIB), MTRR_TYPE_UC);
}

/* Mask bits above the CPU's address width are not part of the match. */
static void address_bits_beyond_the_cpu_do_not_count(void **state)
{
	(void)state;
	variable(4 * GIB, 4 * GIB, MTRR_TYPE_WB);
	m.variable[0].mask |= 0xfff0000000000000ull;
	assert_int_equal(mtrr_type(&m, 6 * GIB, 1 * GIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 8 * GIB, 1 * GIB), MTRR_TYPE_UC);
}

/* A mask that is not contiguous (bit 22 clear, bit 21 set) matches [0, 2M) and [4M, 6M) but
 * not [2M, 4M): a page over both halves is never one type. */
static void a_non_contiguous_mask_gives_mixed_pages(void **state)
{
	(void)state;
	m.variable[0].base = 0 | MTRR_TYPE_WB;
	m.variable[0].mask = (m.address_mask & ~(2 * MIB - 1) & ~(4 * MIB)) | MTRR_VARIABLE_VALID;
	m.variable_count = 1;
	assert_int_equal(mtrr_type(&m, 0, 2 * MIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 2 * MIB, 2 * MIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 4 * MIB, 2 * MIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 0, 4 * MIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 0, 8 * MIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 8 * MIB, 8 * MIB), MTRR_TYPE_UC);
}

static void the_first_2m_is_mixed_under_the_fixed_ranges(void **state)
{
	(void)state;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	pc_fixed_ranges();
	assert_int_equal(mtrr_type(&m, 0, 2 * MIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 0, 1 * GIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 0, 4 * KIB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type(&m, 0xa0000, 4 * KIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 0xf0000, 64 * KIB), MTRR_TYPE_WP);
	assert_int_equal(mtrr_type(&m, 1 * MIB, 4 * KIB), MTRR_TYPE_WB); /* variable again */
	assert_int_equal(mtrr_type(&m, 2 * MIB, 2 * MIB), MTRR_TYPE_WB);
}

/* Fixed ranges that agree with the variable ones leave the first 2 MiB one type. */
static void uniform_fixed_ranges_join_the_variable_type(void **state)
{
	(void)state;
	variable(0, 2 * GIB, MTRR_TYPE_WB);
	m.fixed_enabled = true;
	memset(m.fixed, MTRR_TYPE_WB, sizeof(m.fixed));
	assert_int_equal(mtrr_type(&m, 0, 2 * MIB), MTRR_TYPE_WB);
	m.fixed[87] = MTRR_TYPE_UC; /* 0xff000-0xfffff */
	assert_int_equal(mtrr_type(&m, 0, 2 * MIB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_type(&m, 0xff000, 4 * KIB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type(&m, 0xfe000, 4 * KIB), MTRR_TYPE_WB);
}

#define MTRR_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MTRR_TEST(disabled_mtrrs_make_everything_uc),
		MTRR_TEST(no_variable_range_gives_the_default_type),
		MTRR_TEST(a_page_inside_or_outside_a_range_has_one_type),
		MTRR_TEST(a_page_across_a_range_boundary_is_mixed),
		MTRR_TEST(a_4k_range_makes_its_2m_page_mixed),
		MTRR_TEST(overlapping_ranges_follow_the_sdm),
		MTRR_TEST(an_invalid_variable_range_is_ignored),
		MTRR_TEST(address_bits_beyond_the_cpu_do_not_count),
		MTRR_TEST(a_non_contiguous_mask_gives_mixed_pages),
		MTRR_TEST(the_first_2m_is_mixed_under_the_fixed_ranges),
		MTRR_TEST(uniform_fixed_ranges_join_the_variable_type),
	};
	return cmocka_run_group_tests_name("mtrr", tests, NULL, NULL);
}
