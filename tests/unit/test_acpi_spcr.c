/* acpi_spcr_parse and spcr_io_port (drivers/acpi_spcr.c) on SPCR tables built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi_spcr.h"

/* acpi_read_spcr looks the table up; these tests give it none. */
const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance)
{
	(void)signature;
	(void)instance;
	return NULL;
}

static union {
	struct acpi_header header;
	uint8_t bytes[80];
} table;

static void spcr(uint8_t interface, uint8_t space, uint64_t address, uint8_t interrupt_type,
		 uint8_t irq, uint8_t baud)
{
	memset(&table, 0, sizeof(table));
	memcpy(table.header.signature, "SPCR", 4);
	table.header.length = 80;
	table.header.revision = 2;
	table.bytes[36] = interface;
	table.bytes[40] = space;
	table.bytes[41] = 8;
	memcpy(&table.bytes[44], &address, 8);
	table.bytes[52] = interrupt_type;
	table.bytes[53] = irq;
	table.bytes[58] = baud;
}

static void an_io_port_16550_on_com2_at_115200(void **state)
{
	(void)state;
	struct spcr_info info;
	spcr(SPCR_INTERFACE_16550, ACPI_SPACE_IO, 0x2f8, SPCR_INTERRUPT_PC_AT, 3, 7);
	acpi_spcr_parse(&table.header, &info);
	assert_true(info.present);
	assert_int_equal(info.isa_irq, 3);
	assert_int_equal(info.baud, 115200);
	assert_int_equal(spcr_io_port(&info), 0x2f8);
}

static void a_memory_mapped_uart_is_not_an_io_port(void **state)
{
	(void)state;
	struct spcr_info info;
	spcr(SPCR_INTERFACE_16550_GAS, ACPI_SPACE_MEMORY, 0xfe030000, 0, 0, 0);
	acpi_spcr_parse(&table.header, &info);
	assert_true(info.present);
	assert_int_equal(info.base.space, ACPI_SPACE_MEMORY);
	assert_int_equal(info.base.address, 0xfe030000);
	assert_int_equal(info.isa_irq, 0);
	assert_int_equal(info.baud, 0);
	assert_int_equal(spcr_io_port(&info), 0);
	/* The space decides, not how small the address is. */
	spcr(SPCR_INTERFACE_16550, ACPI_SPACE_MEMORY, 0x3f8, 0, 0, 0);
	acpi_spcr_parse(&table.header, &info);
	assert_int_equal(spcr_io_port(&info), 0);
}

static void other_interfaces_are_not_driven(void **state)
{
	(void)state;
	struct spcr_info info;
	spcr(0x03 /* ARM PL011 */, ACPI_SPACE_IO, 0x3f8, 0, 0, 7);
	acpi_spcr_parse(&table.header, &info);
	assert_int_equal(spcr_io_port(&info), 0);
}

static void baud_codes_and_an_irq_without_the_pc_at_type(void **state)
{
	(void)state;
	struct spcr_info info;
	spcr(SPCR_INTERFACE_16450, ACPI_SPACE_IO, 0x3f8, 0x08 /* APIC GSI only */, 4, 3);
	acpi_spcr_parse(&table.header, &info);
	assert_int_equal(info.isa_irq, 0);
	assert_int_equal(info.baud, 9600);
	assert_int_equal(spcr_io_port(&info), 0x3f8);
}

static void a_short_table_is_absent(void **state)
{
	(void)state;
	struct spcr_info info;
	spcr(SPCR_INTERFACE_16550, ACPI_SPACE_IO, 0x3f8, 0, 0, 7);
	table.header.length = 50;
	acpi_spcr_parse(&table.header, &info);
	assert_false(info.present);
	assert_int_equal(spcr_io_port(&info), 0);
	assert_false(acpi_read_spcr(&info));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_io_port_16550_on_com2_at_115200),
		cmocka_unit_test(a_memory_mapped_uart_is_not_an_io_port),
		cmocka_unit_test(other_interfaces_are_not_driven),
		cmocka_unit_test(baud_codes_and_an_irq_without_the_pc_at_type),
		cmocka_unit_test(a_short_table_is_absent),
	};
	return cmocka_run_group_tests_name("acpi_spcr", tests, NULL, NULL);
}
