/* The SMBIOS tables of a Linux VM (devices/smbios.c), read the way Linux's dmi_scan.c does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/smbios.h"

#define GPA 0xf0000u

static uint8_t block[SMBIOS_SIZE + 32];

static uint8_t sum(const uint8_t *p, unsigned len)
{
	uint8_t s = 0;
	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* String number `n` (from 1) of the structure at `s`. */
static const char *string(const uint8_t *s, unsigned n)
{
	const char *p = (const char *)s + s[1];
	while (--n)
		p += strlen(p) + 1;
	return p;
}

static const uint8_t *build(void)
{
	memset(block, 0xa5, sizeof(block));
	smbios_build(block, GPA);
	return block;
}

static void the_entry_point_has_both_anchors_and_checksums(void **state)
{
	(void)state;
	const uint8_t *e = build();
	assert_memory_equal(e, "_SM_", 4);
	assert_int_equal(e[5], 0x1f);
	assert_int_equal(sum(e, e[5]), 0);
	assert_memory_equal(e + 16, "_DMI_", 5);
	assert_int_equal(sum(e + 16, 15), 0);
	assert_int_equal(e[6] << 8 | e[7], 0x0208); /* SMBIOS 2.8 */
	for (size_t i = SMBIOS_SIZE; i < sizeof(block); i++)
		assert_int_equal(block[i], 0xa5);
}

static void the_structures_say_kan_and_a_bios_date_after_2000(void **state)
{
	(void)state;
	const uint8_t *e = build();
	uint16_t len, count, max;
	uint32_t addr;
	memcpy(&len, e + 22, 2);
	memcpy(&addr, e + 24, 4);
	memcpy(&count, e + 28, 2);
	memcpy(&max, e + 8, 2);
	assert_true(addr >= GPA && addr + len <= GPA + SMBIOS_SIZE);
	const uint8_t *s = block + (addr - GPA), *end = s + len;
	unsigned seen = 0, types = 0;
	while (s < end) {
		const uint8_t *next = s + s[1];
		while (next[0] || next[1])
			next++;
		next += 2;
		assert_true(next - s <= max);
		types |= 1u << (s[0] == 127 ? 2 : s[0]);
		if (s[0] == 0) {
			assert_string_equal(string(s, s[4]), "kan");
			const char *date = string(s, s[8]);
			assert_int_equal(strlen(date), 10); /* mm/dd/yyyy */
			assert_true(strcmp(date + 6, "2000") > 0);
		} else if (s[0] == 1) {
			assert_string_equal(string(s, s[4]), "kan");
			assert_string_equal(string(s, s[5]), "kan VM");
		}
		seen++;
		s = next;
	}
	assert_ptr_equal(s, end);
	assert_int_equal(seen, count);
	assert_int_equal(types, 0x7); /* BIOS, system, end-of-table */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_entry_point_has_both_anchors_and_checksums),
		cmocka_unit_test(the_structures_say_kan_and_a_bios_date_after_2000),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
