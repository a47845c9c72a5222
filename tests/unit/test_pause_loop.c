/* The yield heuristic where every PAUSE exits (kernel/pause_loop.c): a vCPU that keeps
 * pausing at one instruction within a slice spins, and yields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/pause_loop.h"

static unsigned exits_until_yield(struct pause_loop *p, uint64_t rip, unsigned limit)
{
	for (unsigned i = 1; i <= limit; i++)
		if (pause_loop_note(p, rip))
			return i;
	return 0;
}

static void a_spin_loop_yields_after_the_threshold_and_again_after_as_many(void **state)
{
	(void)state;
	struct pause_loop p = { 0 };
	assert_int_equal(exits_until_yield(&p, 0x1234, 1000), PAUSE_LOOP_EXITS);
	assert_int_equal(exits_until_yield(&p, 0x1234, 1000), PAUSE_LOOP_EXITS);
}

static void pauses_at_different_places_are_no_loop(void **state)
{
	(void)state;
	struct pause_loop p = { 0 };
	for (unsigned i = 0; i < 10 * PAUSE_LOOP_EXITS; i++)
		assert_false(pause_loop_note(&p, 0x1000 + (i & 1)));
}

static void a_pause_elsewhere_starts_the_count_again(void **state)
{
	(void)state;
	struct pause_loop p = { 0 };
	assert_int_equal(exits_until_yield(&p, 0x2000, PAUSE_LOOP_EXITS - 1), 0);
	assert_false(pause_loop_note(&p, 0x3000));
	assert_int_equal(exits_until_yield(&p, 0x2000, 1000), PAUSE_LOOP_EXITS);
}

static void a_new_slice_forgets_the_last_one(void **state)
{
	(void)state;
	struct pause_loop p = { 0 };
	assert_int_equal(exits_until_yield(&p, 0x2000, PAUSE_LOOP_EXITS - 1), 0);
	pause_loop_reset(&p);
	assert_int_equal(exits_until_yield(&p, 0x2000, 1000), PAUSE_LOOP_EXITS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_spin_loop_yields_after_the_threshold_and_again_after_as_many),
		cmocka_unit_test(pauses_at_different_places_are_no_loop),
		cmocka_unit_test(a_pause_elsewhere_starts_the_count_again),
		cmocka_unit_test(a_new_slice_forgets_the_last_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
