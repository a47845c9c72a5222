/*
 * kernel/share.c with kernel/runqueue.c: weights, caps and reservations on one simulated CPU.
 * The loop below is kernel/sched.c's, without the guests: pick, run for the limit, charge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/runqueue.h"

#define MS    1000ull /* ticks: a 1 MHz TSC keeps the numbers readable */
#define SLICE (10 * MS)
#define N     4

static struct runqueue q;
static struct vcpu v[N];
static uint64_t ran[N], runs[N];
static uint64_t now;

static int setup(void **state)
{
	(void)state;
	memset(&q, 0, sizeof(q));
	memset(v, 0, sizeof(v));
	memset(ran, 0, sizeof(ran));
	memset(runs, 0, sizeof(runs));
	now = 1000 * MS;
	return 0;
}

static struct share_policy policy(uint32_t weight, uint32_t cap_pct, uint64_t budget,
				  uint64_t period)
{
	return (struct share_policy){ .weight = weight,
				      .cap_pct = cap_pct,
				      .cap_window = 100 * MS,
				      .budget = budget,
				      .period = period,
				      .slice = SLICE };
}

static void add(unsigned i, struct share_policy p)
{
	share_init(&v[i].share, &p, now);
	runqueue_push(&q, &v[i]);
}

/* kernel/sched.c's run_limit, with the same cut for another vCPU's next period. */
static uint64_t limit_for(struct vcpu *x)
{
	uint64_t limit = share_run_limit(&x->share, now);
	uint64_t release = runqueue_next_release(&q);
	if (release > now && release - now < limit)
		limit = release - now;
	return limit;
}

/* Runs the CPU until `until`: each vCPU runs its whole limit (a CPU hog). */
static void run_until(uint64_t until)
{
	while (now < until) {
		struct vcpu *x = runqueue_pop_ready(&q, now);
		if (!x) {
			uint64_t wake = runqueue_earliest_wake(&q, now);
			assert_true(wake > now && wake != UINT64_MAX);
			now = wake < until ? wake : until;
			continue;
		}
		uint64_t limit = limit_for(x);
		assert_true(limit > 0);
		share_charge(&x->share, limit);
		ran[x - v] += limit;
		runs[x - v]++;
		now += limit;
		runqueue_push(&q, x);
	}
}

static void assert_share(unsigned i, uint64_t total, unsigned want_permille)
{
	unsigned got = (unsigned)(ran[i] * 1000 / total);
	if (got + 5 < want_permille || got > want_permille + 5)
		fail_msg("vCPU %u got %u/1000 of the CPU, not %u", i, got, want_permille);
}

static void equal_weights_take_turns_in_queue_order(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 3; i++)
		add(i, policy(100, 0, 0, 0));
	for (unsigned round = 0; round < 5; round++)
		for (unsigned i = 0; i < 3; i++) {
			struct vcpu *x = runqueue_pop_ready(&q, now);
			assert_ptr_equal(x, &v[i]);
			share_charge(&x->share, SLICE);
			runqueue_push(&q, x);
		}
}

static void weights_1_2_3_share_the_cpu_1_2_3(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 3; i++)
		add(i, policy(1, 0, 0, 0));
	run_until(now + 3000 * MS);
	for (unsigned i = 0; i < 3; i++)
		assert_share(i, 3000 * MS, 333);
	/* vm set: the same vCPUs, new weights, from here on */
	for (unsigned i = 0; i < 3; i++) {
		struct share_policy p = policy(i + 1, 0, 0, 0);
		share_set_policy(&v[i].share, &p, now);
	}
	memset(ran, 0, sizeof(ran));
	run_until(now + 6000 * MS);
	assert_share(0, 6000 * MS, 167);
	assert_share(1, 6000 * MS, 333);
	assert_share(2, 6000 * MS, 500);
}

/* The scenario "slices": equal weights take turns, so CPU time follows slice= (1:2:3:4). */
static void equal_weights_share_by_slice_length(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		struct share_policy p = policy(100, 0, 0, 0);
		p.slice = (i + 1) * 2 * MS;
		add(i, p);
	}
	run_until(now + 2000 * MS);
	for (unsigned i = 0; i < 4; i++)
		assert_share(i, 2000 * MS, (i + 1) * 100);
}

/* Two vCPUs that yield at once (a yield hypercall, a PAUSE loop) hand the CPU to each other,
 * as in round robin: a yield ends the turn, however little of it was used. */
static void yields_alternate_however_short_the_runs(void **state)
{
	(void)state;
	add(0, policy(100, 0, 0, 0));
	add(1, policy(100, 0, 0, 0));
	struct vcpu *last = NULL;
	for (unsigned i = 0; i < 20; i++) {
		struct vcpu *x = runqueue_pop_ready(&q, now);
		assert_ptr_not_equal(x, last);
		uint64_t before = x->share.vtime;
		share_charge(&x->share, 3 + i % 2); /* a few ticks, unequal */
		share_end_turn(&x->share, before);
		now += 4;
		runqueue_push(&q, x);
		last = x;
	}
}

static void a_sleeper_comes_back_at_most_one_turn_behind(void **state)
{
	(void)state;
	add(0, policy(100, 0, 0, 0));
	add(1, policy(100, 0, 0, 0));
	v[1].wake_tsc = now + 1000 * MS; /* asleep for a second while 0 runs */
	run_until(now + 1000 * MS);
	assert_int_equal(ran[1], 0);
	memset(ran, 0, sizeof(ran));
	run_until(now + 1000 * MS);
	/* Without the catch-up, vCPU 1 would take the next second whole. */
	assert_share(0, 1000 * MS, 495);
	assert_share(1, 1000 * MS, 505);
}

static void a_cap_holds_a_lone_vcpu_to_its_share_and_idles_the_rest(void **state)
{
	(void)state;
	add(0, policy(100, 25, 0, 0));
	run_until(now + 2000 * MS);
	assert_share(0, 2000 * MS, 250);
	/* Its runs are cut to what the window leaves: 10 + 10 + 5 ms in every 100 ms. */
	assert_int_equal(runs[0], 3 * 20);
}

static void a_cap_beside_others_leaves_them_the_rest(void **state)
{
	(void)state;
	add(0, policy(100, 10, 0, 0));
	add(1, policy(100, 0, 0, 0));
	run_until(now + 2000 * MS);
	assert_share(0, 2000 * MS, 100);
	assert_share(1, 2000 * MS, 900);
}

static void a_reservation_runs_first_in_every_period_beside_hogs(void **state)
{
	(void)state;
	add(0, policy(100, 0, 0, 0));
	add(1, policy(100, 0, 0, 0));
	add(2, policy(100, 0, 0, 0));
	add(3, policy(1, 0, 2 * MS, 10 * MS)); /* weight 1: by weight alone it would starve */
	run_until(now + 1000 * MS);
	assert_int_equal(v[3].share.periods, 99); /* the 100th ends at `now`, not yet seen */
	assert_int_equal(v[3].share.missed, 0);
	assert_share(3, 1000 * MS, 200);
}

static void two_reservations_share_a_cpu_earliest_period_end_first(void **state)
{
	(void)state;
	add(0, policy(100, 0, 0, 0));
	add(1, policy(100, 0, 3 * MS, 10 * MS));
	add(2, policy(100, 0, 5 * MS, 20 * MS));
	run_until(now + 1000 * MS);
	assert_int_equal(v[1].share.missed, 0);
	assert_int_equal(v[2].share.missed, 0);
	assert_true(ran[1] >= 300 * MS);
	assert_true(ran[2] >= 250 * MS);
}

static void a_period_left_unused_is_missed_unless_the_vcpu_slept(void **state)
{
	(void)state;
	struct share s;
	struct share_policy p = policy(100, 0, 2 * MS, 10 * MS);
	share_init(&s, &p, 0);
	share_advance(&s, 10 * MS); /* ready all period, never ran */
	assert_int_equal(s.periods, 1);
	assert_int_equal(s.missed, 1);
	share_charge(&s, 2 * MS);
	share_advance(&s, 20 * MS); /* got its budget */
	assert_int_equal(s.missed, 1);
	share_sleep(&s);
	share_advance(&s, 30 * MS); /* halted: not missed */
	assert_int_equal(s.missed, 1);
	share_advance(&s, 65 * MS); /* periods without a look: it was off the queue */
	assert_int_equal(s.periods, 3);
	assert_int_equal(s.missed, 1);
	assert_int_equal(s.budget_left, 2 * MS);
	assert_int_equal(share_period_end(&s), 75 * MS); /* its periods start afresh */
}

static void a_run_on_the_budget_ends_with_the_budget_or_the_period(void **state)
{
	(void)state;
	struct share s;
	struct share_policy p = policy(100, 0, 2 * MS, 10 * MS);
	share_init(&s, &p, 0);
	assert_int_equal(share_run_limit(&s, 0), 2 * MS);
	share_charge(&s, 2 * MS);
	assert_false(share_reserved(&s));
	assert_int_equal(share_run_limit(&s, 5 * MS), 5 * MS); /* by weight, to the period's end */
	assert_int_equal(share_run_limit(&s, 9 * MS), 1 * MS);
}

#define SHARE_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SHARE_TEST(equal_weights_take_turns_in_queue_order),
		SHARE_TEST(weights_1_2_3_share_the_cpu_1_2_3),
		SHARE_TEST(equal_weights_share_by_slice_length),
		SHARE_TEST(yields_alternate_however_short_the_runs),
		SHARE_TEST(a_sleeper_comes_back_at_most_one_turn_behind),
		SHARE_TEST(a_cap_holds_a_lone_vcpu_to_its_share_and_idles_the_rest),
		SHARE_TEST(a_cap_beside_others_leaves_them_the_rest),
		SHARE_TEST(a_reservation_runs_first_in_every_period_beside_hogs),
		SHARE_TEST(two_reservations_share_a_cpu_earliest_period_end_first),
		SHARE_TEST(a_period_left_unused_is_missed_unless_the_vcpu_slept),
		SHARE_TEST(a_run_on_the_budget_ends_with_the_budget_or_the_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
