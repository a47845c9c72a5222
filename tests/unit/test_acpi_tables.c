/* The ACPI tables of a Linux VM (kernel/devices/acpi_tables.c): what Linux's ACPICA checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/acpi_tables.h"
#include "kernel/devices/pcboard.h"

#define GPA 0xe0000u

static uint8_t block[ACPI_TABLES_SIZE + 64];

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The host view of guest-physical `gpa`, checked to lie in the block. */
static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= GPA && gpa < GPA + ACPI_TABLES_SIZE);
	return block + (gpa - GPA);
}

/* A table with a valid header: its signature, a length inside the block, sum zero. */
static const uint8_t *table(uint64_t gpa, const char *signature)
{
	const uint8_t *t = at(gpa);
	assert_memory_equal(t, signature, 4);
	uint32_t length = u32(t + 4);
	assert_true(length >= 36 && gpa - GPA + length <= ACPI_TABLES_SIZE);
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + t[i]);
	assert_int_equal(sum, 0);
	return t;
}

static const uint8_t *build(void)
{
	memset(block, 0xa5, sizeof(block));
	uint64_t rsdp = acpi_tables_build(block, GPA, NULL, 0);
	assert_int_equal(rsdp % 16, 0); /* Linux scans on 16-byte boundaries */
	return at(rsdp);
}

static void the_rsdp_is_valid_and_points_at_both_root_tables(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(u32(rsdp + 20), 36);
	uint8_t sum20 = 0, sum36 = 0;
	for (int i = 0; i < 36; i++) {
		sum36 = (uint8_t)(sum36 + rsdp[i]);
		if (i < 20)
			sum20 = (uint8_t)(sum20 + rsdp[i]);
	}
	assert_int_equal(sum20, 0);
	assert_int_equal(sum36, 0);
	const uint8_t *rsdt = table(u32(rsdp + 16), "RSDT");
	const uint8_t *xsdt = table(u64(rsdp + 24), "XSDT");
	assert_int_equal(u32(rsdt + 4), 40);
	assert_int_equal(u32(xsdt + 4), 44);
	assert_int_equal(u32(rsdt + 36), u64(xsdt + 36)); /* both list the same FADT */
	table(u64(xsdt + 36), "FACP");
}

static void the_fadt_describes_kans_board(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	const uint8_t *fadt = table(u64(at(u64(rsdp + 24)) + 36), "FACP");
	assert_int_equal(u32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(fadt[46] | fadt[47] << 8, PCBOARD_SCI_IRQ);
	assert_int_equal(u32(fadt + 48), 0); /* no SMI_CMD: always in ACPI mode */
	assert_int_equal(u32(fadt + 56), PCBOARD_PM_BASE);
	assert_int_equal(u32(fadt + 64), PCBOARD_PM_BASE + 4);
	assert_int_equal(u32(fadt + 76), PCBOARD_PM_BASE + 8);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 4);
	uint16_t boot_arch = (uint16_t)(fadt[109] | fadt[110] << 8);
	assert_int_equal(boot_arch & 0x02, 0);		   /* no 8042 */
	assert_int_equal(boot_arch & 0x04, 0x04);	   /* no VGA */
	assert_int_equal(boot_arch & 0x20, 0);		   /* a CMOS RTC, */
	assert_int_equal(fadt[108], PCBOARD_CMOS_CENTURY); /* with a century register */
	uint32_t flags = u32(fadt + 112);
	assert_int_equal(flags & (1u << 10), 1u << 10); /* RESET_REG_SUP */
	assert_int_equal(flags & (1u << 20), 0);	/* not hardware-reduced: keeps the PIC */
	assert_int_equal(fadt[116], 1);			/* reset register in system I/O */
	assert_int_equal(fadt[117], 8);
	assert_int_equal(u64(fadt + 120), PCBOARD_RESET_CTL);
	assert_int_equal(fadt[128], PCBOARD_RESET_VALUE);
	const uint8_t *facs = at(u32(fadt + 36));
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(u32(facs + 4), 64);
	assert_int_equal(u32(fadt + 36) % 64, 0);
	table(u32(fadt + 40), "DSDT");
}

static void the_dsdt_names_s5_with_the_boards_sleep_type(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	const uint8_t *fadt = at(u32(at(u32(rsdp + 16)) + 36));
	const uint8_t *dsdt = table(u32(fadt + 40), "DSDT");
	const uint8_t s5[] = { 0x08, '_',
			       'S',  '5',
			       '_',  0x12,
			       0x08, 0x04,
			       0x0a, PCBOARD_S5_SLP_TYP,
			       0x0a, PCBOARD_S5_SLP_TYP,
			       0x00, 0x00 };
	assert_int_equal(u32(dsdt + 4), 36 + sizeof(s5));
	assert_memory_equal(dsdt + 36, s5, sizeof(s5));
}

static void nothing_is_written_outside_the_block(void **state)
{
	(void)state;
	build();
	for (size_t i = ACPI_TABLES_SIZE; i < sizeof(block); i++)
		assert_int_equal(block[i], 0xa5);
}

static void a_checksum_makes_the_sum_zero(void **state)
{
	(void)state;
	uint8_t bytes[5] = { 1, 2, 3, 250, 0 };
	bytes[4] = acpi_checksum(bytes, 4);
	assert_int_equal((uint8_t)(1 + 2 + 3 + 250 + bytes[4]), 0);
	assert_int_equal(acpi_checksum(bytes, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_rsdp_is_valid_and_points_at_both_root_tables),
		cmocka_unit_test(the_fadt_describes_kans_board),
		cmocka_unit_test(the_dsdt_names_s5_with_the_boards_sleep_type),
		cmocka_unit_test(nothing_is_written_outside_the_block),
		cmocka_unit_test(a_checksum_makes_the_sum_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
