/* acpi_madt_parse (drivers/acpi_madt.c) on hand-built MADTs: which CPUs kan starts, each
 * once, hot-pluggable ones left alone, x2APIC IDs kept whole, the IOAPIC and ISA overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi.h"

#define ENABLED	       1u
#define ONLINE_CAPABLE 2u

static uint8_t table[4096 * 8];
static size_t length;

static void madt_begin(void)
{
	memset(table, 0, sizeof(table));
	memcpy(table, "APIC", 4);
	length = sizeof(struct acpi_header) + 8; /* local APIC address and flags */
}

static void *entry(uint8_t type, uint8_t size)
{
	uint8_t *p = table + length;
	p[0] = type;
	p[1] = size;
	length += size;
	((struct acpi_header *)table)->length = (uint32_t)length;
	return p;
}

static void local_apic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *p = entry(0, 8);
	p[2] = uid;
	p[3] = id;
	memcpy(p + 4, &flags, 4);
}

static void local_x2apic(uint32_t uid, uint32_t id, uint32_t flags)
{
	uint8_t *p = entry(9, 16);
	memcpy(p + 4, &id, 4);
	memcpy(p + 8, &flags, 4);
	memcpy(p + 12, &uid, 4);
}

static struct madt_info info;

/* acpi_read_madt's table directory (drivers/acpi.c), replaced by the table built here. */
const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance)
{
	return !memcmp(signature, "APIC", 4) && instance == 0 ? (const void *)table : NULL;
}

static void parse(void)
{
	acpi_madt_parse((const struct acpi_header *)table, &info);
}

static void enabled_cpus_are_listed_in_order(void **state)
{
	(void)state;
	madt_begin();
	local_apic(0, 0, ENABLED);
	local_apic(1, 2, ENABLED);
	local_apic(2, 1, ENABLED);
	parse();
	assert_int_equal(info.cpu_count, 3);
	assert_int_equal(info.apic_ids[0], 0);
	assert_int_equal(info.apic_ids[1], 2);
	assert_int_equal(info.apic_ids[2], 1);
	assert_int_equal(info.max_apic_id, 2);
	assert_int_equal(info.hotplug_count, 0);
	assert_int_equal(info.duplicates, 0);
}

static void online_capable_but_not_enabled_is_counted_not_started(void **state)
{
	(void)state;
	madt_begin(); /* QEMU -smp 2,maxcpus=4 */
	local_apic(0, 0, ENABLED);
	local_apic(1, 1, ENABLED);
	local_apic(2, 2, ONLINE_CAPABLE);
	local_x2apic(3, 3, ONLINE_CAPABLE);
	local_apic(4, 4, 0); /* neither: not there at all */
	parse();
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.hotplug_count, 2);
	assert_int_equal(info.disabled_count, 1);
	assert_int_equal(info.max_apic_id, 1);
}

static void a_cpu_listed_twice_is_started_once(void **state)
{
	(void)state;
	madt_begin();
	local_apic(0, 0, ENABLED);
	local_apic(1, 1, ENABLED);
	local_x2apic(1, 1, ENABLED); /* the same CPU as type 9 */
	local_apic(7, 0, ENABLED);   /* the same ID again, another ACPI UID */
	parse();
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.apic_ids[0], 0);
	assert_int_equal(info.apic_ids[1], 1);
	assert_int_equal(info.duplicates, 2);
}

static void x2apic_ids_above_255_are_kept_whole(void **state)
{
	(void)state;
	madt_begin();
	local_x2apic(0, 0, ENABLED);
	local_x2apic(1, 0x100, ENABLED); /* would be 0 truncated to 8 bits */
	local_x2apic(2, 0xfffffffe, ENABLED);
	parse();
	assert_int_equal(info.cpu_count, 3);
	assert_int_equal(info.apic_ids[1], 0x100);
	assert_int_equal(info.apic_ids[2], 0xfffffffe);
	assert_int_equal(info.max_apic_id, 0xfffffffe);
	assert_int_equal(info.duplicates, 0);
}

static void more_cpus_than_the_limit_are_counted_beyond_it(void **state)
{
	(void)state;
	madt_begin();
	for (uint32_t id = 0; id < ACPI_MAX_CPUS + 5; id++)
		local_x2apic(id, id, ENABLED);
	local_x2apic(0, 0, ENABLED); /* a repeat is not "beyond the limit" */
	parse();
	assert_int_equal(info.cpu_count, ACPI_MAX_CPUS);
	assert_int_equal(info.beyond_limit, 5);
	assert_int_equal(info.beyond_first_id, ACPI_MAX_CPUS);
	assert_int_equal(info.beyond_last_id, ACPI_MAX_CPUS + 4);
	assert_int_equal(info.duplicates, 1);
	assert_int_equal(info.apic_ids[ACPI_MAX_CPUS - 1], ACPI_MAX_CPUS - 1);
}

static void a_madt_without_an_enabled_cpu_is_refused(void **state)
{
	(void)state;
	const char *why = NULL;
	madt_begin();
	local_apic(0, 0, ONLINE_CAPABLE);
	assert_false(acpi_read_madt(&info, &why));
	assert_string_equal(why, "the MADT lists no enabled processor");
	local_apic(1, 1, ENABLED);
	assert_true(acpi_read_madt(&info, &why));
}

static void ioapic_and_overrides_are_read(void **state)
{
	(void)state;
	madt_begin();
	local_apic(0, 0, ENABLED);
	uint8_t *io = entry(1, 12);
	uint32_t address = 0xfec00000, gsi_base = 0;
	memcpy(io + 4, &address, 4);
	memcpy(io + 8, &gsi_base, 4);
	uint8_t *over = entry(2, 10);
	over[3] = 0; /* ISA IRQ 0 -> GSI 2, flags 0 */
	uint32_t gsi = 2;
	memcpy(over + 4, &gsi, 4);
	parse();
	assert_int_equal(info.ioapic_base, 0xfec00000);
	assert_int_equal(info.isa_gsi[0], 2);
	assert_int_equal(info.isa_gsi[4], 4);
}

static void a_truncated_or_zero_length_entry_ends_the_walk(void **state)
{
	(void)state;
	madt_begin();
	local_apic(0, 0, ENABLED);
	((uint8_t *)entry(0, 8))[1] = 0; /* length 0: a walk that trusted it would never end */
	local_apic(1, 1, ENABLED);
	parse();
	assert_int_equal(info.cpu_count, 1);
	madt_begin();
	local_apic(0, 0, ENABLED);
	local_x2apic(1, 1, ENABLED);
	((struct acpi_header *)table)->length -= 4; /* the last entry runs past the table */
	parse();
	assert_int_equal(info.cpu_count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enabled_cpus_are_listed_in_order),
		cmocka_unit_test(online_capable_but_not_enabled_is_counted_not_started),
		cmocka_unit_test(a_cpu_listed_twice_is_started_once),
		cmocka_unit_test(x2apic_ids_above_255_are_kept_whole),
		cmocka_unit_test(more_cpus_than_the_limit_are_counted_beyond_it),
		cmocka_unit_test(a_madt_without_an_enabled_cpu_is_refused),
		cmocka_unit_test(ioapic_and_overrides_are_read),
		cmocka_unit_test(a_truncated_or_zero_length_entry_ends_the_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
