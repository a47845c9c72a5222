/* A guest's console budget (kernel/console_budget.c): 4 KiB/s, bursts of 2 KiB, at any TSC
 * rate. The time is the test's: every call says what the TSC reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/console.h"

#define HZ   4096000ull /* a TSC at 4.096 MHz: one byte of budget every 1000 ticks */
#define BYTE 1000ull
#define T0   1000000000ull /* boot was a while ago */

static void a_fresh_budget_allows_exactly_the_burst(void **state)
{
	(void)state;
	struct console_budget b = { 0 };
	assert_int_equal(console_budget_available_at(&b, T0, HZ), 2048);
	assert_int_equal(console_budget_available_at(&b, T0 + 60 * HZ, HZ), 2048);
}

static void after_the_burst_the_next_byte_comes_one_byte_time_later(void **state)
{
	(void)state;
	struct console_budget b = { 0 };
	console_budget_spend_at(&b, 2048, T0, HZ);
	assert_int_equal(console_budget_available_at(&b, T0, HZ), 0);
	assert_int_equal(console_budget_available_at(&b, T0 + BYTE - 1, HZ), 0);
	assert_int_equal(console_budget_available_at(&b, T0 + BYTE, HZ), 1);
	console_budget_spend_at(&b, 1, T0 + BYTE, HZ);
	assert_int_equal(console_budget_available_at(&b, T0 + BYTE, HZ), 0);
}

static void it_refills_at_4096_bytes_a_second_but_banks_no_more_than_the_burst(void **state)
{
	(void)state;
	struct console_budget b = { 0 };
	console_budget_spend_at(&b, 2048, T0, HZ);
	assert_int_equal(console_budget_available_at(&b, T0 + HZ / 4, HZ), 1024);
	assert_int_equal(console_budget_available_at(&b, T0 + HZ / 2, HZ), 2048);
	assert_int_equal(console_budget_available_at(&b, T0 + HZ, HZ), 2048);
	assert_int_equal(console_budget_available_at(&b, T0 + 100 * HZ, HZ), 2048);
}

static void spending_more_than_there_is_borrows_from_the_future(void **state)
{
	(void)state;
	/* KAN_HC_REPORT checks, then spends 2 KiB; a caller that overspends waits it off. */
	struct console_budget b = { 0 };
	console_budget_spend_at(&b, 3072, T0, HZ);
	assert_int_equal(console_budget_available_at(&b, T0 + 1024 * BYTE, HZ), 0);
	assert_int_equal(console_budget_available_at(&b, T0 + 1025 * BYTE, HZ), 1);
}

/* A guest that takes everything it may, every `step` ticks, for `seconds`: the bytes it got. */
static uint64_t flood(uint64_t hz, uint64_t step, uint64_t seconds)
{
	struct console_budget b = { 0 };
	uint64_t got = 0;
	for (uint64_t t = T0; t <= T0 + seconds * hz; t += step) {
		size_t n = console_budget_available_at(&b, t, hz);
		console_budget_spend_at(&b, n, t, hz);
		got += n;
	}
	return got;
}

static void a_flood_gets_the_burst_plus_4096_bytes_a_second(void **state)
{
	(void)state;
	assert_int_equal(flood(HZ, 100, 10), 2048 + 10 * 4096);
	assert_int_equal(flood(HZ, 8192, 10), 2048 + 10 * 4096); /* slower callers, same total */
}

static void at_bochs_4_mhz_a_byte_is_976_ticks(void **state)
{
	(void)state;
	/* 4000000 / 4096 rounds down to 976 ticks a byte: 4098 bytes a second, not 4096. */
	assert_int_equal(flood(4000000, 100, 1), 2048 + 4098);
	assert_int_equal(flood(4000000, 100, 10), 2048 + 40983);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_fresh_budget_allows_exactly_the_burst),
		cmocka_unit_test(after_the_burst_the_next_byte_comes_one_byte_time_later),
		cmocka_unit_test(
			it_refills_at_4096_bytes_a_second_but_banks_no_more_than_the_burst),
		cmocka_unit_test(spending_more_than_there_is_borrows_from_the_future),
		cmocka_unit_test(a_flood_gets_the_burst_plus_4096_bytes_a_second),
		cmocka_unit_test(at_bochs_4_mhz_a_byte_is_976_ticks),
	};
	return cmocka_run_group_tests_name("console_budget", tests, NULL, NULL);
}
