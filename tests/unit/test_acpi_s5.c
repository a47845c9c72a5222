/* Finding \_S5's sleep types in DSDT AML (drivers/acpi_s5.c) without an AML interpreter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi_s5.h"

#define FOUND(aml, a, b) check_found(aml, sizeof(aml), a, b)

static void check_found(const uint8_t *aml, uint32_t len, uint8_t a, uint8_t b)
{
	uint8_t got_a = 0xee, got_b = 0xee;
	assert_true(acpi_s5_find(aml, len, &got_a, &got_b));
	assert_int_equal(got_a, a);
	assert_int_equal(got_b, b);
}

static bool finds(const uint8_t *aml, uint32_t len)
{
	uint8_t a, b;
	return acpi_s5_find(aml, len, &a, &b);
}

static void byte_prefixed_values(void **state)
{
	(void)state;
	/* Name (_S5, Package (4) { 5, 5, 0, 0 }), as kan's own guest DSDT writes it. */
	static const uint8_t aml[] = { 0x08, '_',  'S',	 '5',  '_',  0x12, 0x08,
				       0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	FOUND(aml, 5, 5);
}

static void zero_and_one_ops(void **state)
{
	(void)state;
	/* Bochs's BIOS: Package (4) { 0, 0, 0, 0 } in ZeroOps; and One for b. */
	static const uint8_t zeros[] = { 0x08, '_',  'S',  '5',	 '_',  0x12,
					 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
	FOUND(zeros, 0, 0);
	static const uint8_t one[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x07, 0x01
	};
	FOUND(one, 7, 1);
}

static void word_prefix_and_root_name(void **state)
{
	(void)state;
	/* Name (\_S5, Package () { 0x0007, 0x0007 }) with WordPrefix, after other AML. */
	static const uint8_t aml[] = { 0x10, 0x05, '\\', '_',  'S',  'B',  '_',	 0x08,
				       '\\', '_',  'S',	 '5',  '_',  0x12, 0x08, 0x02,
				       0x0b, 0x07, 0x00, 0x0b, 0x07, 0x00 };
	FOUND(aml, 7, 7);
}

static void two_byte_package_length(void **state)
{
	(void)state;
	/* PkgLength with one following byte (lead byte bits 7:6 = 1). */
	static const uint8_t aml[] = { 0x08, '_',  'S',	 '5',  '_',  0x12, 0x40, 0x01,
				       0x04, 0x0a, 0x06, 0x0a, 0x02, 0x00, 0x00 };
	FOUND(aml, 6, 2);
}

static void a_reference_is_not_the_name(void **state)
{
	(void)state;
	/* "_S5_" used as a method argument, not a Name, then the real one. */
	static const uint8_t aml[] = { 0x70, '_',  'S',	 '5',  '_',  0x60, 0x08, '_',  'S', '5',
				       '_',  0x12, 0x06, 0x04, 0x0a, 0x03, 0x0a, 0x04, 0x00 };
	FOUND(aml, 3, 4);
}

static void a_method_or_a_non_integer_is_refused(void **state)
{
	(void)state;
	/* Method (_S5_ ...) has no Package to read. */
	static const uint8_t method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00 };
	assert_false(finds(method, sizeof(method)));
	/* A package whose first element is a name (a NameString), not a constant. */
	static const uint8_t named[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x0a,
					 0x02, 'A', 'B', 'C', 'D', 0x0a, 0x01 };
	assert_false(finds(named, sizeof(named)));
	/* A one-element package. */
	static const uint8_t short_pkg[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0a, 0x05
	};
	assert_false(finds(short_pkg, sizeof(short_pkg)));
}

static void truncated_aml_stays_in_bounds(void **state)
{
	(void)state;
	static const uint8_t full[] = { 0x08, '_',  'S',  '5',	'_',  0x12, 0x40, 0x01, 0x04, 0x0c,
					0x05, 0x00, 0x00, 0x00, 0x0c, 0x05, 0x00, 0x00, 0x00 };
	FOUND(full, 5, 5);
	/* Every shorter prefix: never found, never read past the end (ASan watches). */
	for (uint32_t len = 0; len < sizeof(full); len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, full, len);
		assert_false(finds(copy, len));
		free(copy);
	}
	assert_false(finds(NULL, 0));
}

static void no_s5_at_all(void **state)
{
	(void)state;
	static const uint8_t aml[] = { 0x08, '_',  'S',	 '4',  '_',  0x12, 0x06,
				       0x04, 0x0a, 0x04, 0x0a, 0x04, 0x00, 0x00 };
	assert_false(finds(aml, sizeof(aml)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(byte_prefixed_values),
		cmocka_unit_test(zero_and_one_ops),
		cmocka_unit_test(word_prefix_and_root_name),
		cmocka_unit_test(two_byte_package_length),
		cmocka_unit_test(a_reference_is_not_the_name),
		cmocka_unit_test(a_method_or_a_non_integer_is_refused),
		cmocka_unit_test(truncated_aml_stays_in_bounds),
		cmocka_unit_test(no_s5_at_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
