/* kernel/busy_window.h: the recent share `vm list` and `cpu list` show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/busy_window.h"

#define LEN 1000

static void the_first_window_shows_the_share_so_far(void **state)
{
	(void)state;
	struct busy_window w = { 0 };
	busy_window_note(&w, 5000, 100, LEN);
	assert_int_equal(busy_window_permille(&w, 5000, 100, LEN), 0);
	assert_int_equal(busy_window_permille(&w, 5500, 350, LEN), 500);
}

static void a_complete_window_shows_its_own_share_not_the_history(void **state)
{
	(void)state;
	struct busy_window w = { 0 };
	busy_window_note(&w, 1000, 0, LEN);
	busy_window_note(&w, 2000, 1000, LEN); /* a busy second */
	busy_window_note(&w, 3000, 1010, LEN); /* then 1 % */
	assert_int_equal(busy_window_permille(&w, 3500, 1010, LEN), 10);
	/* since boot it would be 1010 / 2000: the window forgets */
	busy_window_note(&w, 3999, 1500, LEN); /* not yet a window: nothing changes */
	assert_int_equal(busy_window_permille(&w, 3999, 1500, LEN), 10);
}

static void a_sleeper_nobody_notes_falls_to_its_current_share(void **state)
{
	(void)state;
	struct busy_window w = { 0 };
	busy_window_note(&w, 1000, 0, LEN);
	busy_window_note(&w, 2000, 900, LEN); /* 90 % */
	/* it halts and is not run for 5 windows: it used nothing since */
	assert_int_equal(busy_window_permille(&w, 7000, 900, LEN), 0);
	assert_int_equal(busy_window_permille(&w, 3500, 900, LEN), 0);
	assert_int_equal(busy_window_permille(&w, 2500, 900, LEN), 900);
	/* it ran 400 early in a window, then stopped: once a window passed since, 0 */
	busy_window_note(&w, 2600, 1300, LEN);
	assert_int_equal(busy_window_permille(&w, 2900, 1300, LEN), 900); /* the last window */
	assert_int_equal(busy_window_permille(&w, 3500, 1300, LEN), 266); /* overdue: so far */
	assert_int_equal(busy_window_permille(&w, 3600, 1300, LEN), 0);	  /* silent a window */
}

static void the_share_is_capped_and_a_reset_counter_restarts_the_window(void **state)
{
	(void)state;
	struct busy_window w = { 0 };
	busy_window_note(&w, 1000, 0, LEN);
	busy_window_note(&w, 2000, 1500, LEN); /* a slice counted whole, longer than the window */
	assert_int_equal(busy_window_permille(&w, 2100, 1500, LEN), 1000);
	busy_window_note(&w, 2100, 10, LEN); /* the VM restarted: its CPU time began again */
	assert_int_equal(w.start_busy, 10);
	assert_int_equal(busy_window_permille(&w, 2600, 260, LEN), 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_first_window_shows_the_share_so_far),
		cmocka_unit_test(a_complete_window_shows_its_own_share_not_the_history),
		cmocka_unit_test(a_sleeper_nobody_notes_falls_to_its_current_share),
		cmocka_unit_test(the_share_is_capped_and_a_reset_counter_restarts_the_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
