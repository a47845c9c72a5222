/* ksnprintf (kernel/format.c): conversions, flags, widths and truncation. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "kernel/format.h"

/* Formats into a roomy buffer and checks both the text and the returned length. */
#define ASSERT_FORMATS(want, ...)                                                                  \
	do {                                                                                       \
		char buf_[128];                                                                    \
		int n_ = ksnprintf(buf_, sizeof(buf_), __VA_ARGS__);                               \
		assert_string_equal(buf_, want);                                                   \
		assert_int_equal(n_, strlen(want));                                                \
	} while (0)

static void signed_decimal(void **state)
{
	(void)state;
	ASSERT_FORMATS("0", "%d", 0);
	ASSERT_FORMATS("42", "%d", 42);
	ASSERT_FORMATS("-42", "%d", -42);
	ASSERT_FORMATS("-7", "%i", -7);
	ASSERT_FORMATS("2147483647", "%d", INT_MAX);
	ASSERT_FORMATS("-2147483648", "%d", INT_MIN);
}

static void signed_decimal_64bit(void **state)
{
	(void)state;
	ASSERT_FORMATS("-1", "%ld", -1L);
	ASSERT_FORMATS("9223372036854775807", "%ld", INT64_MAX);
	ASSERT_FORMATS("-9223372036854775808", "%lld", (long long)INT64_MIN);
	ASSERT_FORMATS("-5", "%zd", (ssize_t)-5);
}

static void unsigned_decimal(void **state)
{
	(void)state;
	ASSERT_FORMATS("0", "%u", 0u);
	ASSERT_FORMATS("4294967295", "%u", UINT_MAX);
	ASSERT_FORMATS("18446744073709551615", "%lu", UINT64_MAX);
	ASSERT_FORMATS("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	ASSERT_FORMATS("4096", "%zu", (size_t)4096);
}

static void an_int_argument_is_read_as_32_bits_without_l(void **state)
{
	(void)state;
	ASSERT_FORMATS("4294967295", "%u", -1);
	ASSERT_FORMATS("ffffffff", "%x", -1);
}

static void hexadecimal(void **state)
{
	(void)state;
	ASSERT_FORMATS("0", "%x", 0u);
	ASSERT_FORMATS("deadbeef", "%x", 0xdeadbeefu);
	ASSERT_FORMATS("DEADBEEF", "%X", 0xdeadbeefu);
	ASSERT_FORMATS("fffffffffffff000", "%lx", 0xfffffffffffff000ul);
	ASSERT_FORMATS("100000000", "%lx", 1ul << 32);
}

static void pointer_is_0x_and_hex(void **state)
{
	(void)state;
	ASSERT_FORMATS("0x1000", "%p", (void *)0x1000);
	ASSERT_FORMATS("0xffff800000000000", "%p", (void *)0xffff800000000000ul);
	ASSERT_FORMATS("0x0", "%p", (void *)0);
}

static void string_char_and_percent(void **state)
{
	(void)state;
	ASSERT_FORMATS("hello, kan", "%s, %s", "hello", "kan");
	const char *volatile absent = NULL; /* volatile: gcc would refuse a literal NULL */
	ASSERT_FORMATS("(null)", "%s", absent);
	ASSERT_FORMATS("", "%s", "");
	ASSERT_FORMATS("[x]", "[%c]", 'x');
	ASSERT_FORMATS("100%", "%d%%", 100);
	ASSERT_FORMATS("%", "%%");
}

static void width_pads_on_the_left_with_spaces(void **state)
{
	(void)state;
	ASSERT_FORMATS("   42", "%5d", 42);
	ASSERT_FORMATS("  -42", "%5d", -42);
	ASSERT_FORMATS("   ff", "%5x", 0xffu);
	ASSERT_FORMATS("  abc", "%5s", "abc");
	ASSERT_FORMATS("    x", "%5c", 'x');
}

static void a_width_narrower_than_the_value_does_not_cut_it(void **state)
{
	(void)state;
	ASSERT_FORMATS("12345", "%2d", 12345);
	ASSERT_FORMATS("-12345", "%3d", -12345);
	ASSERT_FORMATS("abcdef", "%3s", "abcdef");
}

static void minus_flag_pads_on_the_right(void **state)
{
	(void)state;
	ASSERT_FORMATS("42   |", "%-5d|", 42);
	ASSERT_FORMATS("-42  |", "%-5d|", -42);
	ASSERT_FORMATS("abc  |", "%-5s|", "abc");
	ASSERT_FORMATS("x  |", "%-3c|", 'x');
	ASSERT_FORMATS("vm1      exited", "%-8s exited", "vm1");
}

static void zero_flag_pads_numbers_with_zeros(void **state)
{
	(void)state;
	ASSERT_FORMATS("00042", "%05d", 42);
	ASSERT_FORMATS("00000000deadbeef", "%016lx", 0xdeadbeeful);
	ASSERT_FORMATS("0x00001000", "0x%08x", 0x1000u);
	ASSERT_FORMATS("007", "%03u", 7u);
}

static void a_negative_number_keeps_its_sign_before_the_zeros(void **state)
{
	(void)state;
	ASSERT_FORMATS("-0042", "%05d", -42);
	ASSERT_FORMATS("-42", "%02d", -42);
	ASSERT_FORMATS("-000000001", "%010ld", -1L);
}

static void minus_wins_over_zero(void **state)
{
	(void)state;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat" /* gcc warns that '0' is ignored with '-' */
	ASSERT_FORMATS("42   |", "%-05d|", 42);
	ASSERT_FORMATS("-42  |", "%0-5d|", -42);
#pragma GCC diagnostic pop
}

static void an_unknown_conversion_is_printed_as_written(void **state)
{
	(void)state;
	const char *fmt = "a%qb"; /* not a literal: keep gcc's format check out of it */
	char buf[16];
	assert_int_equal(ksnprintf(buf, sizeof(buf), fmt), 4);
	assert_string_equal(buf, "a%qb");
	fmt = "ends with %";
	assert_int_equal(ksnprintf(buf, sizeof(buf), fmt), 10);
	assert_string_equal(buf, "ends with ");
}

static void truncation_terminates_and_returns_the_wanted_length(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(ksnprintf(buf, sizeof(buf), "hello world"), 11);
	assert_string_equal(buf, "hello w");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s=%d", "slice", 10000), 11);
	assert_string_equal(buf, "slice=1");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%016lx", 0x1234ul), 16);
	assert_string_equal(buf, "0000000");
}

static void an_exact_fit_keeps_every_character(void **state)
{
	(void)state;
	char buf[6];
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%d", 12345), 5);
	assert_string_equal(buf, "12345");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%d", 123456), 6);
	assert_string_equal(buf, "12345");
}

static void a_one_byte_buffer_gets_only_the_terminator(void **state)
{
	(void)state;
	char buf[2] = { 'Z', 'Z' };
	assert_int_equal(ksnprintf(buf, 1, "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');
}

static void a_zero_size_buffer_is_not_written(void **state)
{
	(void)state;
	char buf[1] = { 'Z' };
	assert_int_equal(ksnprintf(buf, 0, "%s %d", "abc", 42), 6);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(ksnprintf(NULL, 0, "%lx", 0xfffful), 4);
}

static int format_list(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void kvsnprintf_takes_a_va_list(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(format_list(buf, sizeof(buf), "kan: vm %s: %u exits at 0x%lx", "hello", 7u,
				     0x100000ul),
			 34);
	assert_string_equal(buf, "kan: vm hello: 7 exits at 0x100000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signed_decimal),
		cmocka_unit_test(signed_decimal_64bit),
		cmocka_unit_test(unsigned_decimal),
		cmocka_unit_test(an_int_argument_is_read_as_32_bits_without_l),
		cmocka_unit_test(hexadecimal),
		cmocka_unit_test(pointer_is_0x_and_hex),
		cmocka_unit_test(string_char_and_percent),
		cmocka_unit_test(width_pads_on_the_left_with_spaces),
		cmocka_unit_test(a_width_narrower_than_the_value_does_not_cut_it),
		cmocka_unit_test(minus_flag_pads_on_the_right),
		cmocka_unit_test(zero_flag_pads_numbers_with_zeros),
		cmocka_unit_test(a_negative_number_keeps_its_sign_before_the_zeros),
		cmocka_unit_test(minus_wins_over_zero),
		cmocka_unit_test(an_unknown_conversion_is_printed_as_written),
		cmocka_unit_test(truncation_terminates_and_returns_the_wanted_length),
		cmocka_unit_test(an_exact_fit_keeps_every_character),
		cmocka_unit_test(a_one_byte_buffer_gets_only_the_terminator),
		cmocka_unit_test(a_zero_size_buffer_is_not_written),
		cmocka_unit_test(kvsnprintf_takes_a_va_list),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
