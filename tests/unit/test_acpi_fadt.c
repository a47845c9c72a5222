/* Reading the FADT (drivers/acpi_fadt.c): the 32-bit and GAS forms, revision 1, the reset
 * register; and kan's own guest FADT (kernel/devices/acpi_tables.c) read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi.h"
#include "kernel/devices/acpi_tables.h"

static uint8_t table[276];
static const struct acpi_header *directory_fadt; /* what the stub table directory holds */

const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance)
{
	return !memcmp(signature, "FACP", 4) && instance == 0 ? directory_fadt : NULL;
}

/* A FADT header of `length` bytes and `revision`, everything else zero. */
static const struct acpi_header *fadt(uint32_t length, uint8_t revision)
{
	memset(table, 0, sizeof(table));
	struct acpi_header *h = (struct acpi_header *)table;
	memcpy(h->signature, "FACP", 4);
	h->length = length;
	h->revision = revision;
	return h;
}

static void put(unsigned offset, uint64_t value, unsigned size)
{
	memcpy(table + offset, &value, size);
}

static void put_gas(unsigned offset, uint8_t space, uint8_t bits, uint64_t address)
{
	struct acpi_gas g = { .space = space, .bit_width = bits, .address = address };
	memcpy(table + offset, &g, sizeof(g));
}

static void revision_1_uses_the_32_bit_blocks(void **state)
{
	(void)state;
	const struct acpi_header *h = fadt(116, 1);
	put(40, 0x7fe0040, 4); /* DSDT */
	put(46, 9, 2);	       /* SCI_INT */
	put(48, 0xb2, 4);      /* SMI_CMD */
	put(52, 0xf1, 1);      /* ACPI_ENABLE */
	put(64, 0x404, 4);     /* PM1a_CNT_BLK */
	put(76, 0x408, 4);     /* PM_TMR_BLK */
	put(109, 0x0003, 2);   /* IAPC_BOOT_ARCH: ignored before revision 2 */
	put(112, FADT_FLAG_RESET_REG_SUP, 4);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_true(f.present);
	assert_int_equal(f.revision, 1);
	assert_int_equal(f.dsdt, 0x7fe0040);
	assert_int_equal(f.sci_irq, 9);
	assert_int_equal(f.smi_cmd, 0xb2);
	assert_int_equal(f.acpi_enable, 0xf1);
	assert_int_equal(f.pm1a_cnt.space, ACPI_SPACE_IO);
	assert_int_equal(f.pm1a_cnt.address, 0x404);
	assert_int_equal(f.pm1a_cnt.bit_width, 16);
	assert_int_equal(f.pm1b_cnt.address, 0); /* absent */
	assert_int_equal(f.pm1b_cnt.bit_width, 0);
	assert_int_equal(f.pm_timer.address, 0x408);
	/* Revision 1 has no RESET_REG: even with the flag set, it stays absent. */
	assert_int_equal(f.reset_reg.address, 0);
	assert_int_equal(f.boot_arch, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042);
}

static void the_gas_form_wins_where_it_names_an_address(void **state)
{
	(void)state;
	const struct acpi_header *h = fadt(276, 6);
	put(40, 0x1000, 4);				 /* DSDT (32-bit) */
	put(140, 0x123456789000ull, 8);			 /* X_DSDT wins */
	put(64, 0x1804, 4);				 /* PM1a_CNT_BLK */
	put_gas(172, ACPI_SPACE_MEMORY, 16, 0xfed80004); /* X_PM1a_CNT wins */
	put(68, 0x1884, 4);				 /* PM1b_CNT_BLK, X form empty */
	put(109, FADT_BOOT_8042, 2);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_int_equal(f.dsdt, 0x123456789000ull);
	assert_int_equal(f.pm1a_cnt.space, ACPI_SPACE_MEMORY);
	assert_int_equal(f.pm1a_cnt.address, 0xfed80004);
	assert_int_equal(f.pm1b_cnt.space, ACPI_SPACE_IO);
	assert_int_equal(f.pm1b_cnt.address, 0x1884);
	assert_int_equal(f.boot_arch, FADT_BOOT_8042);
}

static void the_reset_register_only_with_its_flag(void **state)
{
	(void)state;
	const struct acpi_header *h = fadt(276, 4);
	put_gas(116, ACPI_SPACE_IO, 8, 0xcf9);
	put(128, 0x06, 1);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_int_equal(f.reset_reg.address, 0); /* RESET_REG_SUP clear */
	put(112, FADT_FLAG_RESET_REG_SUP, 4);
	acpi_fadt_parse(h, &f);
	assert_int_equal(f.reset_reg.space, ACPI_SPACE_IO);
	assert_int_equal(f.reset_reg.address, 0xcf9);
	assert_int_equal(f.reset_value, 6);
}

static void hardware_reduced_sleep_control(void **state)
{
	(void)state;
	const struct acpi_header *h = fadt(276, 6);
	put(112, FADT_FLAG_HW_REDUCED, 4);
	put_gas(244, ACPI_SPACE_MEMORY, 8, 0xfe000100);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_true(f.flags & FADT_FLAG_HW_REDUCED);
	assert_int_equal(f.sleep_control.address, 0xfe000100);
	assert_int_equal(f.pm1a_cnt.address, 0);
}

static void a_short_table_leaves_later_fields_absent(void **state)
{
	(void)state;
	const struct acpi_header *h = fadt(66, 2); /* ends inside PM1a_CNT_BLK */
	put(64, 0x404, 4);
	put(140, 0x5000, 8);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_int_equal(f.pm1a_cnt.address, 0);
	assert_int_equal(f.dsdt, 0);
}

static void no_fadt_reads_as_absent(void **state)
{
	(void)state;
	struct fadt_info f;
	memset(&f, 0xff, sizeof(f));
	directory_fadt = NULL;
	assert_false(acpi_read_fadt(&f));
	assert_false(f.present);
	assert_int_equal(f.pm1a_cnt.address, 0);
	directory_fadt = fadt(116, 1);
	put(64, 0x404, 4);
	assert_true(acpi_read_fadt(&f));
	assert_int_equal(f.pm1a_cnt.address, 0x404);
}

static void only_bochs_and_qemu_tables_count_as_an_emulator(void **state)
{
	(void)state;
	struct acpi_header *h = (struct acpi_header *)fadt(276, 6);
	memcpy(h->oem, "BOCHS ", 6);
	memcpy(h->oem_table, "BXPCFACP", 8); /* Bochs's BIOS */
	assert_true(acpi_written_by_emulator(h));
	memcpy(h->oem_table, "BXPC    ", 8); /* QEMU 7 */
	assert_true(acpi_written_by_emulator(h));
	static const char *const real[][2] = {
		{ "ALASKA", "A M I   " }, { "DELL  ", "CBX3    " }, { "LENOVO", "TP-N2L  " },
		{ "INTEL ", "S2600WF " }, { "VBOX  ", "VBOXFACP" }, { "BOCHS ", "KANFACP " },
		{ "BXPC  ", "BXPCFACP" },
	};
	for (unsigned i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		memcpy(h->oem, real[i][0], 6);
		memcpy(h->oem_table, real[i][1], 8);
		assert_false(acpi_written_by_emulator(h));
	}
}

static void kans_guest_fadt_reads_back(void **state)
{
	(void)state;
	static uint8_t tables[ACPI_TABLES_SIZE];
	uint64_t rsdp_gpa = acpi_tables_build(tables, 0xe0000, &(struct acpi_board){ 0 });
	const uint8_t *rsdp = tables + (rsdp_gpa - 0xe0000);
	uint32_t rsdt;
	memcpy(&rsdt, rsdp + 16, 4);
	uint32_t fadt_gpa;
	memcpy(&fadt_gpa, tables + (rsdt - 0xe0000) + 36, 4);
	const struct acpi_header *h = (const void *)(tables + (fadt_gpa - 0xe0000));
	assert_memory_equal(h->signature, "FACP", 4);
	struct fadt_info f;
	acpi_fadt_parse(h, &f);
	assert_int_equal(f.reset_reg.address, 0xcf9);
	assert_int_equal(f.reset_value, 6);
	assert_int_not_equal(f.pm1a_cnt.address, 0);
	assert_int_not_equal(f.dsdt, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revision_1_uses_the_32_bit_blocks),
		cmocka_unit_test(the_gas_form_wins_where_it_names_an_address),
		cmocka_unit_test(the_reset_register_only_with_its_flag),
		cmocka_unit_test(hardware_reduced_sleep_control),
		cmocka_unit_test(a_short_table_leaves_later_fields_absent),
		cmocka_unit_test(no_fadt_reads_as_absent),
		cmocka_unit_test(only_bochs_and_qemu_tables_count_as_an_emulator),
		cmocka_unit_test(kans_guest_fadt_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
