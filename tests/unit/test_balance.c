/* balance=on's decision (kernel/balance.c): which vCPU goes from the busiest CPU to the least
 * busy, and when none does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/balance.h"

static struct balance_cpu cpus[3];
static struct balance_vcpu vcpus[4];

static int setup(void **state)
{
	(void)state;
	memset(cpus, 0, sizeof(cpus));
	memset(vcpus, 0, sizeof(vcpus));
	cpus[0] = (struct balance_cpu){ .present = true, .busy = 1000 };
	cpus[1] = (struct balance_cpu){ .present = true, .busy = 0 };
	/* Three counters on CPU 0, a third of it each, allowed on 0 and 1. */
	for (unsigned i = 0; i < 3; i++) {
		vcpus[i] = (struct balance_vcpu){ .cpu = 0, .busy = 333 };
		cpuset_add(&vcpus[i].allowed, 0);
		cpuset_add(&vcpus[i].allowed, 1);
	}
	return 0;
}

static void three_on_one_cpu_one_moves(void **state)
{
	(void)state;
	struct balance_move m;
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.vcpu, 0); /* equals: the first */
	assert_int_equal(m.from, 0);
	assert_int_equal(m.to, 1);
}

static void then_two_and_one_stay(void **state)
{
	(void)state;
	/* After the move: each CPU fully busy, two counters at a half, one alone. */
	struct balance_move m;
	cpus[1].busy = 1000;
	vcpus[0] = (struct balance_vcpu){ .cpu = 1, .busy = 1000, .allowed = vcpus[0].allowed };
	vcpus[1].busy = vcpus[2].busy = 500;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	cpus[1].busy = 800; /* a gap within the threshold */
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void a_settling_cpu_waits(void **state)
{
	(void)state;
	struct balance_move m;
	cpus[1].settling = true;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void a_settling_vcpu_stays(void **state)
{
	(void)state;
	struct balance_move m;
	vcpus[0].settling = true;
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.vcpu, 1);
	vcpus[1].settling = vcpus[2].settling = true;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void only_where_cpus_allows(void **state)
{
	(void)state;
	struct balance_move m;
	memset(&vcpus[0].allowed, 0, sizeof(vcpus[0].allowed));
	cpuset_add(&vcpus[0].allowed, 0);
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.vcpu, 1);
	for (unsigned i = 1; i < 3; i++)
		vcpus[i].allowed = vcpus[0].allowed;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void only_with_room_for_its_reservation(void **state)
{
	(void)state;
	struct balance_move m;
	cpus[1].reserved_ppm = 600000;
	vcpus[0].reserved_ppm = vcpus[1].reserved_ppm = 500000;
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.vcpu, 2);
	vcpus[2].reserved_ppm = 400001;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	vcpus[2].reserved_ppm = 400000; /* exactly 100 % fits */
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void the_one_that_narrows_the_gap_most(void **state)
{
	(void)state;
	struct balance_move m;
	vcpus[0].busy = 100, vcpus[1].busy = 450, vcpus[2].busy = 450;
	cpus[1].busy = 100; /* gap 900: half of it is 450 */
	assert_true(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.vcpu, 1);
	/* One that is busier than the gap would only turn it around: not moved. */
	vcpus[0].busy = vcpus[1].busy = vcpus[2].busy = 950;
	cpus[1].busy = 50;
	assert_false(balance_pick(cpus, 2, vcpus, 3, BALANCE_THRESHOLD, &m));
}

static void absent_cpus_are_no_target(void **state)
{
	(void)state;
	struct balance_move m;
	cpus[1].present = false;
	cpus[2] = (struct balance_cpu){ .present = true, .busy = 400 };
	cpuset_add(&vcpus[0].allowed, 2);
	assert_true(balance_pick(cpus, 3, vcpus, 3, BALANCE_THRESHOLD, &m));
	assert_int_equal(m.to, 2);
	assert_int_equal(m.vcpu, 0); /* the only one allowed on 2 */
	assert_false(balance_pick(cpus, 1, vcpus, 3, BALANCE_THRESHOLD, &m));
}

#define BALANCE_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BALANCE_TEST(three_on_one_cpu_one_moves),
		BALANCE_TEST(then_two_and_one_stay),
		BALANCE_TEST(a_settling_cpu_waits),
		BALANCE_TEST(a_settling_vcpu_stays),
		BALANCE_TEST(only_where_cpus_allows),
		BALANCE_TEST(only_with_room_for_its_reservation),
		BALANCE_TEST(the_one_that_narrows_the_gap_most),
		BALANCE_TEST(absent_cpus_are_no_target),
	};
	return cmocka_run_group_tests_name("balance", tests, NULL, NULL);
}
