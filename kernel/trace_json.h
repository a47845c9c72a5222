/*
 * The timeline as Chrome's trace-event JSON ("JSON Object Format", which Perfetto and
 * chrome://tracing open): process "kan", one lane (tid) per CPU, one complete event ("X")
 * per run and one instant event ("i") per traced exit. Written one line per step, so that
 * the caller can pace it (kernel/trace.c writes while the console has room). Pure.
 */
#ifndef KAN_KERNEL_TRACE_JSON_H
#define KAN_KERNEL_TRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/trace_ring.h"

#define TRACE_JSON_LINE_MAX 256

struct trace_json_source {
	const struct trace_ring *rings; /* indexed by CPU; a ring of size 0 has no lane */
	unsigned ring_count;
	uint64_t tsc_hz;
	/* The lane name of a run: the VM's name (with "/vCPU" if it has several). */
	void (*run_name)(unsigned vm_id, unsigned vcpu, char *buf, size_t size);
	const char *(*exit_name)(unsigned index); /* NULL: "exit N" */
	const char *(*end_name)(uint32_t arg);	  /* why a run ended (its TRACE_RUN_END arg) */
};

struct trace_json {
	const struct trace_json_source *src;
	unsigned stage, cpu;
	uint64_t at;	   /* the next event of rings[cpu] to look at */
	uint64_t base_tsc; /* ts 0: the oldest event held */
	bool open_run;	   /* a TRACE_RUN_START waits for its end */
	struct trace_event start;
	uint64_t lines, runs, exits;
};

/* Starts a dump of `src`; the rings must not change until trace_json_next returns false. */
void trace_json_begin(struct trace_json *w, const struct trace_json_source *src);
/* Formats the next line (without its newline) into line[TRACE_JSON_LINE_MAX]; false when
 * the JSON is complete. */
bool trace_json_next(struct trace_json *w, char *line);
/* TSC ticks as microseconds with three decimals ("12.345"). */
void trace_json_microseconds(uint64_t ticks, uint64_t tsc_hz, char *buf, size_t size);

#endif
