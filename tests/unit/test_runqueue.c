/* A CPU's run queue (kernel/runqueue.c): FIFO round robin, skipping vCPUs asleep after HLT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/runqueue.h"

static struct runqueue q;
static struct vcpu a, b, c, d;

static int setup(void **state)
{
	(void)state;
	memset(&q, 0, sizeof(q));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	return 0;
}

/* The queue is exactly these vCPUs, in order: links, tail and length all agree. */
static void assert_queue(int count, struct vcpu *const *want)
{
	assert_int_equal(q.length, count);
	struct vcpu *v = q.head;
	for (int i = 0; i < count; i++) {
		assert_ptr_equal(v, want[i]);
		v = v->next_in_queue;
	}
	assert_null(v);
	if (count == 0) {
		assert_null(q.head);
		assert_null(q.tail);
	} else {
		assert_ptr_equal(q.tail, want[count - 1]);
		assert_null(q.tail->next_in_queue);
	}
}

#define ASSERT_QUEUE(...)                                                                          \
	do {                                                                                       \
		struct vcpu *const want[] = { __VA_ARGS__ };                                       \
		assert_queue(sizeof(want) / sizeof(want[0]), want);                                \
	} while (0)
#define ASSERT_QUEUE_EMPTY() assert_queue(0, NULL)

static void an_empty_queue_pops_null(void **state)
{
	(void)state;
	assert_null(runqueue_pop_ready(&q, 0));
	assert_null(runqueue_pop_ready(&q, UINT64_MAX));
	ASSERT_QUEUE_EMPTY();
}

static void earliest_wake_of_an_empty_queue_is_uint64_max(void **state)
{
	(void)state;
	assert_true(runqueue_earliest_wake(&q, 0) == UINT64_MAX);
	runqueue_push(&q, &a);
	assert_non_null(runqueue_pop_ready(&q, 0));
	assert_true(runqueue_earliest_wake(&q, 0) == UINT64_MAX); /* and again once emptied */
}

static void push_appends_at_the_tail_and_counts(void **state)
{
	(void)state;
	runqueue_push(&q, &a);
	ASSERT_QUEUE(&a);
	runqueue_push(&q, &b);
	ASSERT_QUEUE(&a, &b);
	runqueue_push(&q, &c);
	ASSERT_QUEUE(&a, &b, &c);
}

static void push_clears_a_stale_link(void **state)
{
	(void)state;
	a.next_in_queue = &d; /* left over from another queue */
	runqueue_push(&q, &a);
	ASSERT_QUEUE(&a);
	runqueue_push(&q, &b);
	ASSERT_QUEUE(&a, &b);
}

static void pop_and_push_cycles_round_robin(void **state)
{
	(void)state;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c);
	struct vcpu *const order[] = { &a, &b, &c, &a, &b, &c, &a, &b, &c };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct vcpu *v = runqueue_pop_ready(&q, 1000);
		assert_ptr_equal(v, order[i]);
		assert_null(v->next_in_queue);
		assert_int_equal(q.length, 2);
		runqueue_push(&q, v);
		assert_int_equal(q.length, 3);
	}
	ASSERT_QUEUE(&a, &b, &c);
}

static void pop_ready_skips_sleepers_and_keeps_their_order(void **state)
{
	(void)state;
	a.wake_tsc = 500;
	b.wake_tsc = 300;
	c.wake_tsc = 0;
	d.wake_tsc = 100;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c);
	runqueue_push(&q, &d);
	assert_ptr_equal(runqueue_pop_ready(&q, 200), &c); /* a and b still sleep */
	ASSERT_QUEUE(&a, &b, &d);
	assert_ptr_equal(runqueue_pop_ready(&q, 200), &d);
	ASSERT_QUEUE(&a, &b);
	assert_null(runqueue_pop_ready(&q, 200));
	ASSERT_QUEUE(&a, &b);
	assert_ptr_equal(runqueue_pop_ready(&q, 400), &b);
	ASSERT_QUEUE(&a);
	assert_ptr_equal(runqueue_pop_ready(&q, 500), &a);
	ASSERT_QUEUE_EMPTY();
}

static void a_vcpu_is_ready_when_its_wake_tsc_is_now(void **state)
{
	(void)state;
	a.wake_tsc = 1000;
	runqueue_push(&q, &a);
	assert_null(runqueue_pop_ready(&q, 999));
	assert_ptr_equal(runqueue_pop_ready(&q, 1000), &a);
}

static void when_all_sleep_pop_returns_null_and_changes_nothing(void **state)
{
	(void)state;
	a.wake_tsc = 10;
	b.wake_tsc = 20;
	c.wake_tsc = 30;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c);
	assert_null(runqueue_pop_ready(&q, 9));
	ASSERT_QUEUE(&a, &b, &c);
}

static void popping_the_last_moves_the_tail_back(void **state)
{
	(void)state;
	a.wake_tsc = 100;
	b.wake_tsc = 100;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c); /* the only one ready */
	assert_ptr_equal(runqueue_pop_ready(&q, 50), &c);
	ASSERT_QUEUE(&a, &b);
	runqueue_push(&q, &d); /* must link after b, not after the popped c */
	ASSERT_QUEUE(&a, &b, &d);
	assert_null(c.next_in_queue);
}

static void popping_a_middle_one_keeps_head_and_tail(void **state)
{
	(void)state;
	a.wake_tsc = 100;
	c.wake_tsc = 100;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b); /* the only one ready */
	runqueue_push(&q, &c);
	assert_ptr_equal(runqueue_pop_ready(&q, 50), &b);
	ASSERT_QUEUE(&a, &c);
	assert_null(b.next_in_queue);
	runqueue_push(&q, &b);
	ASSERT_QUEUE(&a, &c, &b);
}

static void popping_the_only_one_empties_the_queue(void **state)
{
	(void)state;
	runqueue_push(&q, &a);
	assert_ptr_equal(runqueue_pop_ready(&q, 0), &a);
	ASSERT_QUEUE_EMPTY();
	assert_null(runqueue_pop_ready(&q, 0));
	runqueue_push(&q, &b); /* usable again: head and tail both set */
	ASSERT_QUEUE(&b);
}

static void earliest_wake_is_the_minimum_wherever_it_sits(void **state)
{
	(void)state;
	a.wake_tsc = 700;
	b.wake_tsc = 200;
	c.wake_tsc = 900;
	runqueue_push(&q, &a);
	assert_int_equal(runqueue_earliest_wake(&q, 0), 700);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c);
	assert_int_equal(runqueue_earliest_wake(&q, 0), 200); /* in the middle */
	c.wake_tsc = 50;
	assert_int_equal(runqueue_earliest_wake(&q, 0), 50); /* at the tail */
	a.wake_tsc = 10;
	assert_int_equal(runqueue_earliest_wake(&q, 0), 10); /* at the head */
	assert_ptr_equal(runqueue_pop_ready(&q, 10), &a);
	assert_int_equal(runqueue_earliest_wake(&q, 0), 50); /* gone with the popped one */
	ASSERT_QUEUE(&b, &c);
}

static void length_follows_a_mix_of_pushes_and_pops(void **state)
{
	(void)state;
	struct vcpu *all[] = { &a, &b, &c, &d };
	/* Wake times 0, 1, 2, 3: at time t the vCPUs ready are those with wake_tsc <= t. */
	for (int i = 0; i < 4; i++) {
		all[i]->wake_tsc = i;
		runqueue_push(&q, all[i]);
		assert_int_equal(q.length, i + 1);
	}
	assert_ptr_equal(runqueue_pop_ready(&q, 1), &a);
	assert_int_equal(q.length, 3);
	assert_ptr_equal(runqueue_pop_ready(&q, 1), &b);
	assert_int_equal(q.length, 2);
	assert_null(runqueue_pop_ready(&q, 1));
	assert_int_equal(q.length, 2);
	runqueue_push(&q, &a);
	ASSERT_QUEUE(&c, &d, &a);
	assert_ptr_equal(runqueue_pop_ready(&q, 3), &c);
	assert_ptr_equal(runqueue_pop_ready(&q, 3), &d);
	assert_ptr_equal(runqueue_pop_ready(&q, 3), &a);
	ASSERT_QUEUE_EMPTY();
}

/* vm move takes a vCPU out wherever it sits; one that is not there changes nothing. */
static void remove_takes_one_out_wherever_it_sits(void **state)
{
	(void)state;
	runqueue_push(&q, &a);
	runqueue_push(&q, &b);
	runqueue_push(&q, &c);
	assert_true(runqueue_remove(&q, &b));
	assert_queue(2, (struct vcpu *const[]){ &a, &c });
	assert_false(runqueue_remove(&q, &d));
	assert_false(runqueue_remove(&q, &b));
	assert_queue(2, (struct vcpu *const[]){ &a, &c });
	assert_true(runqueue_remove(&q, &c));
	assert_queue(1, (struct vcpu *const[]){ &a });
	runqueue_push(&q, &d);
	assert_queue(2, (struct vcpu *const[]){ &a, &d });
	assert_true(runqueue_remove(&q, &a));
	assert_true(runqueue_remove(&q, &d));
	assert_queue(0, NULL);
}

#define RQ_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RQ_TEST(an_empty_queue_pops_null),
		RQ_TEST(earliest_wake_of_an_empty_queue_is_uint64_max),
		RQ_TEST(push_appends_at_the_tail_and_counts),
		RQ_TEST(push_clears_a_stale_link),
		RQ_TEST(pop_and_push_cycles_round_robin),
		RQ_TEST(pop_ready_skips_sleepers_and_keeps_their_order),
		RQ_TEST(a_vcpu_is_ready_when_its_wake_tsc_is_now),
		RQ_TEST(when_all_sleep_pop_returns_null_and_changes_nothing),
		RQ_TEST(popping_the_last_moves_the_tail_back),
		RQ_TEST(popping_a_middle_one_keeps_head_and_tail),
		RQ_TEST(popping_the_only_one_empties_the_queue),
		RQ_TEST(earliest_wake_is_the_minimum_wherever_it_sits),
		RQ_TEST(length_follows_a_mix_of_pushes_and_pops),
		RQ_TEST(remove_takes_one_out_wherever_it_sits),
	};
	return cmocka_run_group_tests_name("runqueue", tests, NULL, NULL);
}
