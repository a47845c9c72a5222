/* Civil dates and seconds since 1970 (kernel/calendar.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "kernel/calendar.h"

static void known_dates_convert_both_ways(void **state)
{
	(void)state;
	const struct {
		struct calendar_time t;
		uint64_t seconds;
	} cases[] = {
		{ { 1970, 1, 1, 0, 0, 0, 5 }, 0 },
		{ { 2000, 2, 29, 12, 0, 0, 3 }, 951825600 },
		{ { 2026, 11, 22, 4, 0, 0, 1 }, 1795320000 },
		{ { 2100, 3, 1, 23, 59, 59, 2 }, 4107628799 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(calendar_to_seconds(&cases[i].t), cases[i].seconds);
		struct calendar_time t = calendar_from_seconds(cases[i].seconds);
		assert_int_equal(t.year, cases[i].t.year);
		assert_int_equal(t.month, cases[i].t.month);
		assert_int_equal(t.day, cases[i].t.day);
		assert_int_equal(t.hour, cases[i].t.hour);
		assert_int_equal(t.minute, cases[i].t.minute);
		assert_int_equal(t.second, cases[i].t.second);
		assert_int_equal(t.weekday, cases[i].t.weekday);
	}
}

static void every_day_for_three_centuries_agrees_with_the_c_library(void **state)
{
	(void)state;
	for (uint64_t s = 0; s < 3ull * 100 * 366 * 86400; s += 86400 + 3599) {
		time_t tt = (time_t)s;
		struct tm tm;
		gmtime_r(&tt, &tm);
		struct calendar_time t = calendar_from_seconds(s);
		assert_int_equal(t.year, (unsigned)tm.tm_year + 1900);
		assert_int_equal(t.month, (unsigned)tm.tm_mon + 1);
		assert_int_equal(t.day, (unsigned)tm.tm_mday);
		assert_int_equal(t.weekday, (unsigned)tm.tm_wday + 1);
		assert_int_equal(calendar_to_seconds(&t), s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_dates_convert_both_ways),
		cmocka_unit_test(every_day_for_three_centuries_agrees_with_the_c_library),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
