/* The timeline's pure parts: the per-CPU ring (kernel/trace_ring.c), the Chrome trace-event
 * JSON writer (kernel/trace_json.c) and the exit selection by name (kernel/trace_select.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/trace_json.h"
#include "kernel/trace_ring.h"
#include "kernel/trace_select.h"

static struct trace_event push(struct trace_ring *ring, uint64_t tsc, uint8_t kind, uint16_t vm_id,
			       uint32_t arg)
{
	struct trace_event e = { .tsc = tsc, .vm_id = vm_id, .kind = kind, .arg = arg };
	trace_ring_push(ring, &e);
	return e;
}

static void ring_keeps_the_newest_and_counts_the_lost(void **state)
{
	(void)state;
	struct trace_event events[8];
	struct trace_ring ring;
	trace_ring_init(&ring, events, 8);
	assert_int_equal(trace_ring_held(&ring), 0);
	assert_int_equal(trace_ring_lost(&ring), 0);
	for (uint64_t i = 0; i < 5; i++)
		push(&ring, 100 + i, TRACE_EXIT, 1, 0);
	assert_int_equal(trace_ring_held(&ring), 5);
	assert_int_equal(trace_ring_lost(&ring), 0);
	assert_int_equal(trace_ring_at(&ring, 0)->tsc, 100);
	assert_int_equal(trace_ring_at(&ring, 4)->tsc, 104);
	for (uint64_t i = 5; i < 21; i++)
		push(&ring, 100 + i, TRACE_EXIT, 1, 0);
	assert_int_equal(trace_ring_held(&ring), 8);
	assert_int_equal(trace_ring_lost(&ring), 13);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(trace_ring_at(&ring, i)->tsc, 113 + i); /* oldest first */
	trace_ring_clear(&ring);
	assert_int_equal(trace_ring_held(&ring), 0);
	assert_int_equal(trace_ring_lost(&ring), 0);
}

static void ring_of_no_cpu_takes_nothing(void **state)
{
	(void)state;
	struct trace_ring ring;
	trace_ring_init(&ring, NULL, 0);
	push(&ring, 1, TRACE_RUN_START, 1, 0);
	assert_int_equal(trace_ring_held(&ring), 0);
	assert_int_equal(trace_ring_lost(&ring), 0);
}

static void microseconds_have_three_decimals_and_never_overflow(void **state)
{
	(void)state;
	char buf[40];
	trace_json_microseconds(6, 4000000, buf, sizeof(buf));
	assert_string_equal(buf, "1.500");
	trace_json_microseconds(1234567, 1000000, buf, sizeof(buf));
	assert_string_equal(buf, "1234567.000");
	trace_json_microseconds(0, 3000000000u, buf, sizeof(buf));
	assert_string_equal(buf, "0.000");
	/* Four days at 3 GHz: ticks * 10^9 would overflow 64 bits. */
	trace_json_microseconds(1000000000000000ull, 3000000000u, buf, sizeof(buf));
	assert_string_equal(buf, "333333333333.333");
}

static void run_name(unsigned vm_id, unsigned vcpu, char *buf, size_t size)
{
	snprintf(buf, size, vm_id == 2 ? "smp/%u" : "vm%u", vm_id == 2 ? vcpu : vm_id);
}

static const char *exit_name(unsigned index)
{
	return index == 10 ? "CPUID" : NULL;
}

static const char *end_name(uint32_t arg)
{
	return arg == TRACE_END_HLT ? "HLT" : "slice end";
}

/* The whole JSON of `rings`, one line per element, in `out`; returns the number of lines. */
static int write_all(const struct trace_ring *rings, unsigned count, char *out, size_t size,
		     struct trace_json *w)
{
	static struct trace_json_source src;
	src = (struct trace_json_source){ .rings = rings,
					  .ring_count = count,
					  .tsc_hz = 1000000,
					  .run_name = run_name,
					  .exit_name = exit_name,
					  .end_name = end_name };
	char line[TRACE_JSON_LINE_MAX];
	int lines = 0;
	out[0] = '\0';
	trace_json_begin(w, &src);
	while (trace_json_next(w, line)) {
		assert_true(strlen(out) + strlen(line) + 2 < size);
		strcat(out, line);
		strcat(out, "\n");
		lines++;
	}
	assert_false(trace_json_next(w, line)); /* done stays done */
	return lines;
}

static int count(const char *haystack, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void json_has_lanes_runs_and_exits(void **state)
{
	(void)state;
	struct trace_event e0[16], e2[16];
	struct trace_ring rings[3];
	trace_ring_init(&rings[0], e0, 16);
	trace_ring_init(&rings[1], NULL, 0); /* cpu 1 is not there: no lane */
	trace_ring_init(&rings[2], e2, 16);
	push(&rings[0], 1000, TRACE_RUN_START, 1, 0);
	push(&rings[0], 1500, TRACE_EXIT, 1, 10);
	push(&rings[0], 3000, TRACE_RUN_END, 1, TRACE_END_SLICE);
	push(&rings[2], 900, TRACE_RUN_END, 3, TRACE_END_SLICE); /* its start was before */
	push(&rings[2], 950, TRACE_RUN_START, 2, 0);
	struct trace_event *e = &e2[1];
	e->vcpu = 1;
	push(&rings[2], 1950, TRACE_RUN_END, 2, TRACE_END_HLT);
	e2[2].vcpu = 1;
	push(&rings[2], 2000, TRACE_EXIT, 2, 99);

	char out[4096];
	struct trace_json w;
	int lines = write_all(rings, 3, out, sizeof(out), &w);
	assert_int_equal(lines, 1 + 2 + 2 + 2 + 1);
	assert_int_equal(w.runs, 2);
	assert_int_equal(w.exits, 2);
	assert_int_equal(out[0], '{');
	assert_non_null(strstr(out, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"runs\":2,"
				    "\"exits\":2,\"lost\":0}}\n"));
	assert_int_equal(count(out, "\n,{"), lines - 2); /* every element after the first */
	assert_non_null(strstr(out, "\"name\":\"process_name\",\"args\":{\"name\":\"kan\"}"));
	assert_non_null(
		strstr(out, "\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":\"cpu 0\"}"));
	assert_non_null(
		strstr(out, "\"tid\":2,\"name\":\"thread_name\",\"args\":{\"name\":\"cpu 2\"}"));
	assert_null(strstr(out, "cpu 1"));
	/* ts counts from the oldest event of any lane (900), in microseconds at 1 MHz. */
	assert_non_null(strstr(out,
			       ",{\"ph\":\"X\",\"pid\":1,\"tid\":0,\"name\":\"vm1\",\"ts\":100.000,"
			       "\"dur\":2000.000,\"args\":{\"end\":\"slice end\"}}\n"));
	assert_non_null(
		strstr(out, ",{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"name\":\"smp/1\",\"ts\":50.000,"
			    "\"dur\":1000.000,\"args\":{\"end\":\"HLT\"}}\n"));
	assert_non_null(strstr(out,
			       ",{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":0,\"name\":\"CPUID\","
			       "\"ts\":600.000,\"args\":{\"vm\":\"vm1\"}}\n"));
	assert_non_null(strstr(out, "\"name\":\"exit 99\",\"ts\":1100.000"));
	assert_null(strstr(out, "vm3")); /* an end without its start is no run */
}

static void json_of_a_wrapped_ring_counts_what_it_lost(void **state)
{
	(void)state;
	struct trace_event events[4];
	struct trace_ring ring;
	trace_ring_init(&ring, events, 4);
	for (uint64_t run = 0; run < 3; run++) {
		push(&ring, run * 100, TRACE_RUN_START, 1, 0);
		push(&ring, run * 100 + 60, TRACE_RUN_END, 1, TRACE_END_SLICE);
	}
	push(&ring, 300, TRACE_RUN_START, 1, 0); /* still running when the trace stopped */
	char out[2048];
	struct trace_json w;
	write_all(&ring, 1, out, sizeof(out), &w);
	assert_int_equal(w.runs, 1); /* the ring holds end, start, end, start: one whole run */
	assert_non_null(strstr(out, "\"lost\":3}"));
	assert_non_null(
		strstr(out, "\"ts\":40.000,\"dur\":60.000")); /* from 160, the oldest held */
}

static void an_end_pairs_only_with_the_start_of_its_own_vcpu(void **state)
{
	(void)state;
	struct trace_event events[8];
	struct trace_ring ring;
	trace_ring_init(&ring, events, 8);
	push(&ring, 10, TRACE_RUN_START, 1, 0);
	push(&ring, 20, TRACE_RUN_END, 1, TRACE_END_SLICE);
	events[1].vcpu = 1; /* vCPU 1's end after vCPU 0's start: no run */
	push(&ring, 30, TRACE_RUN_START, 2, 0);
	push(&ring, 40, TRACE_RUN_END, 1, TRACE_END_SLICE); /* another VM's end: no run */
	char out[2048];
	struct trace_json w;
	write_all(&ring, 1, out, sizeof(out), &w);
	assert_int_equal(w.runs, 0);
	assert_null(strstr(out, "\"ph\":\"X\""));
}

static void json_of_nothing_is_still_json(void **state)
{
	(void)state;
	char out[1024];
	struct trace_json w;
	assert_int_equal(write_all(NULL, 0, out, sizeof(out), &w), 2);
	assert_string_equal(out,
			    "{\"traceEvents\":[{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\","
			    "\"args\":{\"name\":\"kan\"}}\n],\"displayTimeUnit\":\"ms\","
			    "\"otherData\":{\"runs\":0,\"exits\":0,\"lost\":0}}\n");
}

static void exits_are_selected_by_the_start_or_end_of_their_names(void **state)
{
	(void)state;
	assert_true(trace_exit_name_matches("I/O instruction", "io", 2));
	assert_true(trace_exit_name_matches("IOIO", "io", 2));
	assert_false(trace_exit_name_matches("exception or NMI", "io", 2));
	assert_false(trace_exit_name_matches("preemption timer", "io", 2));
	assert_true(trace_exit_name_matches("RDMSR", "msr", 3));
	assert_true(trace_exit_name_matches("WRMSR", "msr", 3));
	assert_true(trace_exit_name_matches("MSR", "MSR", 3));
	assert_true(trace_exit_name_matches("CPUID", "cpuid,msr", 5)); /* only len counts */
	assert_false(trace_exit_name_matches("CPUID", "cpuid,msr", 9));
	assert_true(trace_exit_name_matches("EPT violation", "ept", 3));
	assert_true(trace_exit_name_matches("EPT misconfiguration", "ept", 3));
	assert_true(trace_exit_name_matches("preemption timer", "preemption-timer", 16));
	assert_false(trace_exit_name_matches("HLT", "hltx", 4));
	assert_false(trace_exit_name_matches("HLT", "", 0));
	assert_false(trace_exit_name_matches("HLT", "-", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_keeps_the_newest_and_counts_the_lost),
		cmocka_unit_test(ring_of_no_cpu_takes_nothing),
		cmocka_unit_test(microseconds_have_three_decimals_and_never_overflow),
		cmocka_unit_test(json_has_lanes_runs_and_exits),
		cmocka_unit_test(json_of_a_wrapped_ring_counts_what_it_lost),
		cmocka_unit_test(an_end_pairs_only_with_the_start_of_its_own_vcpu),
		cmocka_unit_test(json_of_nothing_is_still_json),
		cmocka_unit_test(exits_are_selected_by_the_start_or_end_of_their_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
