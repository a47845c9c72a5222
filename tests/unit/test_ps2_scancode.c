/* ps2_decode (drivers/ps2_scancode.c): keyboard bytes in scan code sets 1 and 2 to ASCII. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ps2_scancode.h"

/* Feeds `bytes` and collects the characters they make. */
static void typed(struct ps2_decoder *d, const uint8_t *bytes, size_t n, char *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int c = ps2_decode(d, bytes[i]);
		if (c >= 0)
			out[len++] = (char)c;
	}
	out[len] = '\0';
}

static void set1_letters_digits_space_and_enter(void **state)
{
	(void)state;
	struct ps2_decoder d = { 0 };
	/* "vm 1" Enter, each key pressed and released */
	static const uint8_t bytes[] = {
		0x2f, 0xaf, 0x32, 0xb2, 0x39, 0xb9, 0x02, 0x82, 0x1c, 0x9c
	};
	char out[16];
	typed(&d, bytes, sizeof(bytes), out);
	assert_string_equal(out, "vm 1\r");
}

static void set1_shift_makes_capitals_and_symbols(void **state)
{
	(void)state;
	struct ps2_decoder d = { 0 };
	/* Shift down, h, 1, /, Shift up, h */
	static const uint8_t bytes[] = {
		0x2a, 0x23, 0xa3, 0x02, 0x82, 0x35, 0xb5, 0xaa, 0x23, 0xa3
	};
	char out[16];
	typed(&d, bytes, sizeof(bytes), out);
	assert_string_equal(out, "H!?h");
}

static void set1_backspace_and_punctuation(void **state)
{
	(void)state;
	struct ps2_decoder d = { 0 };
	static const uint8_t bytes[] = { 0x0e, 0x0c, 0x0d, 0x1a, 0x1b, 0x27,
					 0x28, 0x29, 0x2b, 0x33, 0x34 };
	char out[16];
	typed(&d, bytes, sizeof(bytes), out);
	assert_string_equal(out, "\b-=[];'`\\,.");
}

static void set2_release_prefix_and_shift(void **state)
{
	(void)state;
	struct ps2_decoder d = { .set2 = true };
	/* l, release l, Shift, s, release s, release Shift, space, 9, Enter */
	static const uint8_t bytes[] = { 0x4b, 0xf0, 0x4b, 0x12, 0x1b, 0xf0,
					 0x1b, 0xf0, 0x12, 0x29, 0x46, 0x5a };
	char out[16];
	typed(&d, bytes, sizeof(bytes), out);
	assert_string_equal(out, "lS 9\r");
}

static void extended_keys_make_nothing_but_keypad_enter(void **state)
{
	(void)state;
	struct ps2_decoder d = { 0 };
	/* Right arrow (e0 4d), keypad Enter (e0 1c), right Ctrl (e0 1d), then 'a' */
	static const uint8_t bytes[] = { 0xe0, 0x4d, 0xe0, 0xcd, 0xe0, 0x1c, 0xe0, 0x1d, 0x1e };
	char out[16];
	typed(&d, bytes, sizeof(bytes), out);
	assert_string_equal(out, "\ra");
	struct ps2_decoder d2 = { .set2 = true };
	static const uint8_t bytes2[] = { 0xe0, 0x74, 0xe0, 0xf0, 0x74, 0xe0, 0x5a, 0x1c };
	typed(&d2, bytes2, sizeof(bytes2), out);
	assert_string_equal(out, "\ra");
}

static void unknown_codes_make_nothing(void **state)
{
	(void)state;
	struct ps2_decoder d = { 0 };
	for (unsigned b = 0x3a; b < 0x80; b++)
		assert_int_equal(ps2_decode(&d, (uint8_t)b), -1); /* F keys, keypad, locks */
	struct ps2_decoder d2 = { .set2 = true };
	assert_int_equal(ps2_decode(&d2, 0x05), -1); /* F1 */
	assert_int_equal(ps2_decode(&d2, 0xff), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set1_letters_digits_space_and_enter),
		cmocka_unit_test(set1_shift_makes_capitals_and_symbols),
		cmocka_unit_test(set1_backspace_and_punctuation),
		cmocka_unit_test(set2_release_prefix_and_shift),
		cmocka_unit_test(extended_keys_make_nothing_but_keypad_enter),
		cmocka_unit_test(unknown_codes_make_nothing),
	};
	return cmocka_run_group_tests_name("ps2_scancode", tests, NULL, NULL);
}
