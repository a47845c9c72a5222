/*
 * The timeline: while `trace on` holds, each CPU records its vCPUs' runs (start, end, why it
 * ended) and the VM exits chosen into its own ring (kernel/trace_ring.h); `trace dump` writes
 * them to the console as Chrome trace-event JSON (kernel/trace_json.h). The rings are taken
 * at the first `trace on`, not at boot.
 */
#ifndef KAN_KERNEL_TRACE_H
#define KAN_KERNEL_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define TRACE_EVENTS_PER_CPU 16384 /* a power of two: 256 KiB a CPU */

enum { TRACE_RUNS = 1, TRACE_EXITS = 2 };
/* What is recorded now (TRACE_RUNS, TRACE_EXITS): the hooks' one test when tracing is off. */
extern uint32_t trace_flags;

struct vcpu;
void trace_record_run(struct vcpu *vcpu, uint64_t start, uint64_t end, int vcpu_event);
void trace_record_exit(struct vcpu *vcpu, unsigned exit_index);

/* The scheduler, after backend_vcpu_run, with the TSC values it counts CPU time by: the run's
 * start and end go in together, so a run is either whole in the trace or absent. */
static inline void trace_run(struct vcpu *vcpu, uint64_t start, uint64_t end, int vcpu_event)
{
	if (__builtin_expect(trace_flags != 0, 0))
		trace_record_run(vcpu, start, end, vcpu_event);
}
/* The backends' exit paths, beside their exit counters (`exit_index` is the counter's). */
static inline void trace_exit(struct vcpu *vcpu, unsigned exit_index)
{
	if (__builtin_expect(trace_flags & TRACE_EXITS, 0))
		trace_record_exit(vcpu, exit_index);
}

/* The shell's `trace ARGS` (ARGS: "", "on [runs|exits|exits=NAME,..]", "off", "dump"). True
 * if a dump began: trace_dump_continue then writes it, and the prompt when it is done. */
bool trace_command(const char *args);
/* kan's line trace=runs|exits|exits=NAME,..: tracing from boot. False (with the reason
 * printed) if refused. */
bool trace_start(const char *what);
/* The boot CPU's loop: writes the dump's next lines while the console has room, and the
 * shell's prompt after the last. Inline: the loop pays one test while no dump is written. */
extern bool trace_dumping;
void trace_dump_write(void);
static inline void trace_dump_continue(void)
{
	if (__builtin_expect(trace_dumping, 0))
		trace_dump_write();
}

#endif
