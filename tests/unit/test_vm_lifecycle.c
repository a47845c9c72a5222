/* A VM's lifecycle (kernel/vm_lifecycle.c): every state against every cause, legal or refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/vm_lifecycle.h"

/*
 * The whole matrix, as vm_lifecycle.h documents it:
 *   start    boots a created, stopped or crashed VM
 *   stop     from running or paused
 *   pause    only running
 *   resume   only paused
 *   restart  from any live state (anything but destroyed)
 *   destroy  from anything but destroyed
 *   exit     (the guest ended itself) running -> stopped
 *   crash    running -> crashed
 * A cell is the state the cause leads to, or NO: refused.
 */
#define RUNN VM_RUNNING
#define PAUS VM_PAUSED
#define STOP VM_STOPPED
#define CRSH VM_CRASHED
#define DEST VM_DESTROYED
#define NO   (-1)

static const int expected[VM_STATE_COUNT][VM_CAUSE_COUNT] = {
	/* from, cause:   start  stop  pause resume restart destroy exit  crash off  reset */
	[VM_CREATED] = { RUNN, NO, NO, NO, RUNN, DEST, NO, NO, NO, NO },
	[VM_RUNNING] = { NO, STOP, PAUS, NO, RUNN, DEST, STOP, CRSH, STOP, RUNN },
	[VM_PAUSED] = { NO, STOP, NO, RUNN, RUNN, DEST, NO, NO, NO, NO },
	[VM_STOPPED] = { RUNN, NO, NO, NO, RUNN, DEST, NO, NO, NO, NO },
	[VM_CRASHED] = { RUNN, NO, NO, NO, RUNN, DEST, NO, NO, NO, NO },
	[VM_DESTROYED] = { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
};

/* The reason a refusal gives: it names the state the VM is in. */
static const char *const refused_because[VM_STATE_COUNT] = {
	[VM_CREATED] = "it has not been started",
	[VM_RUNNING] = "it is running",
	[VM_PAUSED] = "it is paused",
	[VM_STOPPED] = "it is stopped",
	[VM_CRASHED] = "it has crashed",
	[VM_DESTROYED] = "it has been destroyed",
};

static const char *const state_names[VM_STATE_COUNT] = {
	[VM_CREATED] = "created", [VM_RUNNING] = "running", [VM_PAUSED] = "paused",
	[VM_STOPPED] = "stopped", [VM_CRASHED] = "crashed", [VM_DESTROYED] = "destroyed",
};

static const char *const cause_names[VM_CAUSE_COUNT] = {
	[VM_DO_START] = "start",	   [VM_DO_STOP] = "stop",
	[VM_DO_PAUSE] = "pause",	   [VM_DO_RESUME] = "resume",
	[VM_DO_RESTART] = "restart",	   [VM_DO_DESTROY] = "destroy",
	[VM_GUEST_EXIT] = "guest exit",	   [VM_GUEST_CRASH] = "crash",
	[VM_GUEST_POWEROFF] = "power-off", [VM_GUEST_RESET] = "reset",
};

/* Sentinels: what *to and *why hold before a call, to see whether the call wrote them. */
#define UNTOUCHED_STATE ((enum vm_state)0x5a5a)
static const char untouched_why[] = "untouched";

/* The header's rules again, as plain logic: a second statement of the matrix, written
 * another way, that kan's vm_transition (kernel/vm_lifecycle.c) must agree with too. */
static bool documented_legal(enum vm_state s, enum vm_transition_cause c, enum vm_state *to)
{
	switch (c) {
	case VM_DO_START:
		*to = VM_RUNNING;
		return s == VM_CREATED || s == VM_STOPPED || s == VM_CRASHED;
	case VM_DO_STOP:
		*to = VM_STOPPED;
		return s == VM_RUNNING || s == VM_PAUSED;
	case VM_DO_PAUSE:
		*to = VM_PAUSED;
		return s == VM_RUNNING;
	case VM_DO_RESUME:
		*to = VM_RUNNING;
		return s == VM_PAUSED;
	case VM_DO_RESTART:
		*to = VM_RUNNING;
		return s != VM_DESTROYED;
	case VM_DO_DESTROY:
		*to = VM_DESTROYED;
		return s != VM_DESTROYED;
	case VM_GUEST_EXIT:
		*to = VM_STOPPED;
		return s == VM_RUNNING;
	case VM_GUEST_CRASH:
		*to = VM_CRASHED;
		return s == VM_RUNNING;
	case VM_GUEST_POWEROFF:
		*to = VM_STOPPED;
		return s == VM_RUNNING;
	case VM_GUEST_RESET:
		*to = VM_RUNNING;
		return s == VM_RUNNING;
	default:
		return false;
	}
}

static void kan_follows_the_headers_rules(void **state)
{
	(void)state;
	for (int s = 0; s < VM_STATE_COUNT; s++)
		for (int c = 0; c < VM_CAUSE_COUNT; c++) {
			enum vm_state rule_to = UNTOUCHED_STATE, to = UNTOUCHED_STATE;
			const char *why = untouched_why;
			bool legal = documented_legal((enum vm_state)s, (enum vm_transition_cause)c,
						      &rule_to);
			int rc = vm_transition((enum vm_state)s, (enum vm_transition_cause)c, &to,
					       &why);
			if (legal != (rc == 0))
				fail_msg("%s while %s: kan %s it, the rules %s it", cause_names[c],
					 state_names[s], rc == 0 ? "allows" : "refuses",
					 legal ? "allow" : "forbid");
			if (legal && to != rule_to)
				fail_msg("%s while %s: kan goes to %d, the rules to %s",
					 cause_names[c], state_names[s], (int)to,
					 state_names[rule_to]);
		}
}

static void every_state_and_cause_does_what_the_table_says(void **state)
{
	(void)state;
	int legal = 0, refused = 0;
	for (int s = 0; s < VM_STATE_COUNT; s++)
		for (int c = 0; c < VM_CAUSE_COUNT; c++) {
			enum vm_state to = UNTOUCHED_STATE;
			const char *why = untouched_why;
			int rc = vm_transition((enum vm_state)s, (enum vm_transition_cause)c, &to,
					       &why);
			if (expected[s][c] != NO) {
				if (rc != 0)
					fail_msg("%s while %s: refused (\"%s\"), expected -> %s",
						 cause_names[c], state_names[s], why,
						 state_names[expected[s][c]]);
				if ((int)to != expected[s][c])
					fail_msg("%s while %s: -> %d, expected -> %s",
						 cause_names[c], state_names[s], (int)to,
						 state_names[expected[s][c]]);
				assert_ptr_equal(why,
						 untouched_why); /* no reason when it applies */
				legal++;
			} else {
				if (rc != -1)
					fail_msg("%s while %s: returned %d, expected a refusal",
						 cause_names[c], state_names[s], rc);
				if (why == untouched_why || why == NULL)
					fail_msg("%s while %s: refused without a reason",
						 cause_names[c], state_names[s]);
				if (strcmp(why, refused_because[s]))
					fail_msg("%s while %s: reason \"%s\", expected \"%s\"",
						 cause_names[c], state_names[s], why,
						 refused_because[s]);
				assert_int_equal(to, UNTOUCHED_STATE); /* *to left alone */
				refused++;
			}
		}
	assert_int_equal(legal + refused, 6 * 10); /* the full matrix, nothing skipped */
	assert_int_equal(legal, 21);
	assert_int_equal(refused, 39);
}

static void every_refusal_reason_names_the_current_state(void **state)
{
	(void)state;
	/* Each state refuses something; the reason mentions that state and no other. */
	static const char *const word[VM_STATE_COUNT] = {
		[VM_CREATED] = "not been started",
		[VM_RUNNING] = "running",
		[VM_PAUSED] = "paused",
		[VM_STOPPED] = "stopped",
		[VM_CRASHED] = "crashed",
		[VM_DESTROYED] = "destroyed",
	};
	for (int s = 0; s < VM_STATE_COUNT; s++) {
		int seen = 0;
		for (int c = 0; c < VM_CAUSE_COUNT; c++) {
			enum vm_state to;
			const char *why = NULL;
			if (vm_transition((enum vm_state)s, (enum vm_transition_cause)c, &to,
					  &why) == 0)
				continue;
			seen++;
			assert_non_null(why);
			if (!strstr(why, word[s]))
				fail_msg("refusing %s while %s says \"%s\"", cause_names[c],
					 state_names[s], why);
			for (int other = 0; other < VM_STATE_COUNT; other++)
				if (other != s && strstr(why, state_names[other]))
					fail_msg("refusing %s while %s names %s: \"%s\"",
						 cause_names[c], state_names[s], state_names[other],
						 why);
		}
		assert_true(seen > 0);
	}
}

static void destroyed_is_final_and_created_is_never_reentered(void **state)
{
	(void)state;
	for (int c = 0; c < VM_CAUSE_COUNT; c++) {
		enum vm_state to;
		const char *why = NULL;
		assert_int_equal(
			vm_transition(VM_DESTROYED, (enum vm_transition_cause)c, &to, &why), -1);
		assert_string_equal(why, "it has been destroyed");
	}
	for (int s = 0; s < VM_STATE_COUNT; s++)
		for (int c = 0; c < VM_CAUSE_COUNT; c++) {
			enum vm_state to = UNTOUCHED_STATE;
			const char *why;
			if (vm_transition((enum vm_state)s, (enum vm_transition_cause)c, &to,
					  &why) == 0)
				assert_int_not_equal(to, VM_CREATED);
		}
}

static void a_whole_life_walks_through_the_table(void **state)
{
	(void)state;
	static const struct {
		enum vm_transition_cause cause;
		enum vm_state to;
	} life[] = {
		{ VM_DO_START, VM_RUNNING },	 { VM_DO_PAUSE, VM_PAUSED },
		{ VM_DO_RESUME, VM_RUNNING },	 { VM_GUEST_EXIT, VM_STOPPED },
		{ VM_DO_START, VM_RUNNING },	 { VM_GUEST_CRASH, VM_CRASHED },
		{ VM_DO_RESTART, VM_RUNNING },	 { VM_DO_PAUSE, VM_PAUSED },
		{ VM_DO_STOP, VM_STOPPED },	 { VM_DO_RESTART, VM_RUNNING },
		{ VM_DO_DESTROY, VM_DESTROYED },
	};
	enum vm_state s = VM_CREATED;
	for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++) {
		enum vm_state to;
		const char *why = NULL;
		assert_int_equal(vm_transition(s, life[i].cause, &to, &why), 0);
		assert_int_equal(to, life[i].to);
		s = to;
	}
	assert_int_equal(s, VM_DESTROYED);
}

static void state_and_cause_names(void **state)
{
	(void)state;
	for (int s = 0; s < VM_STATE_COUNT; s++)
		assert_string_equal(vm_state_name((enum vm_state)s), state_names[s]);
	for (int c = 0; c < VM_CAUSE_COUNT; c++)
		assert_string_equal(vm_cause_name((enum vm_transition_cause)c), cause_names[c]);
}

static void out_of_range_names_are_invalid(void **state)
{
	(void)state;
	assert_string_equal(vm_state_name(VM_STATE_COUNT), "invalid");
	assert_string_equal(vm_state_name((enum vm_state)(VM_STATE_COUNT + 1)), "invalid");
	assert_string_equal(vm_state_name((enum vm_state)1000), "invalid");
	assert_string_equal(vm_state_name((enum vm_state) - 1), "invalid");
	assert_string_equal(vm_cause_name(VM_CAUSE_COUNT), "invalid");
	assert_string_equal(vm_cause_name((enum vm_transition_cause)(VM_CAUSE_COUNT + 1)),
			    "invalid");
	assert_string_equal(vm_cause_name((enum vm_transition_cause)1000), "invalid");
	assert_string_equal(vm_cause_name((enum vm_transition_cause) - 1), "invalid");
}

static void out_of_range_inputs_are_refused(void **state)
{
	(void)state;
	const int bad_states[] = { VM_STATE_COUNT, VM_STATE_COUNT + 1, 1000, -1, INT32_MIN };
	const int bad_causes[] = { VM_CAUSE_COUNT, VM_CAUSE_COUNT + 1, 1000, -1, INT32_MIN };
	const size_t nb = sizeof(bad_states) / sizeof(bad_states[0]);
	/* A bad state with every good cause, a good state with every bad cause, and both bad. */
	for (size_t i = 0; i < nb; i++) {
		for (int c = 0; c < VM_CAUSE_COUNT; c++) {
			enum vm_state to = UNTOUCHED_STATE;
			const char *why = untouched_why;
			assert_int_equal(vm_transition((enum vm_state)bad_states[i],
						       (enum vm_transition_cause)c, &to, &why),
					 -1);
			assert_string_equal(why, "no such state or command");
			assert_int_equal(to, UNTOUCHED_STATE);
		}
		for (int s = 0; s < VM_STATE_COUNT; s++) {
			enum vm_state to = UNTOUCHED_STATE;
			const char *why = untouched_why;
			assert_int_equal(vm_transition((enum vm_state)s,
						       (enum vm_transition_cause)bad_causes[i], &to,
						       &why),
					 -1);
			assert_string_equal(why, "no such state or command");
			assert_int_equal(to, UNTOUCHED_STATE);
		}
		for (size_t j = 0; j < nb; j++) {
			enum vm_state to = UNTOUCHED_STATE;
			const char *why = untouched_why;
			assert_int_equal(vm_transition((enum vm_state)bad_states[i],
						       (enum vm_transition_cause)bad_causes[j], &to,
						       &why),
					 -1);
			assert_string_equal(why, "no such state or command");
			assert_int_equal(to, UNTOUCHED_STATE);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kan_follows_the_headers_rules),
		cmocka_unit_test(every_state_and_cause_does_what_the_table_says),
		cmocka_unit_test(every_refusal_reason_names_the_current_state),
		cmocka_unit_test(destroyed_is_final_and_created_is_never_reentered),
		cmocka_unit_test(a_whole_life_walks_through_the_table),
		cmocka_unit_test(state_and_cause_names),
		cmocka_unit_test(out_of_range_names_are_invalid),
		cmocka_unit_test(out_of_range_inputs_are_refused),
	};
	return cmocka_run_group_tests_name("vm_lifecycle", tests, NULL, NULL);
}
