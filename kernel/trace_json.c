#include "kernel/trace_json.h"
#include "kernel/format.h"

enum { STAGE_PROCESS, STAGE_LANES, STAGE_EVENTS, STAGE_END, STAGE_DONE };

void trace_json_microseconds(uint64_t ticks, uint64_t tsc_hz, char *buf, size_t size)
{
	/* In two parts, so that neither product overflows for any run kan can have. */
	uint64_t ns = ticks / tsc_hz * 1000000000u + ticks % tsc_hz * 1000000000u / tsc_hz;
	ksnprintf(buf, size, "%lu.%03lu", ns / 1000, ns % 1000);
}

void trace_json_begin(struct trace_json *w, const struct trace_json_source *src)
{
	*w = (struct trace_json){ .src = src, .base_tsc = UINT64_MAX };
	/* Each lane is in TSC order: its oldest event is its earliest. */
	for (unsigned c = 0; c < src->ring_count; c++)
		if (trace_ring_held(&src->rings[c]) &&
		    trace_ring_at(&src->rings[c], 0)->tsc < w->base_tsc)
			w->base_tsc = trace_ring_at(&src->rings[c], 0)->tsc;
	if (w->base_tsc == UINT64_MAX)
		w->base_tsc = 0;
}

static uint64_t since_base(const struct trace_json *w, uint64_t tsc)
{
	return tsc > w->base_tsc ? tsc - w->base_tsc : 0; /* another CPU's TSC may lag a little */
}

/* The next event of the current lane as a line, or false when the lanes are done. */
static bool event_line(struct trace_json *w, char *line)
{
	const struct trace_json_source *src = w->src;
	char ts[32], dur[32], name[64];
	for (; w->cpu < src->ring_count; w->cpu++, w->at = 0, w->open_run = false) {
		const struct trace_ring *ring = &src->rings[w->cpu];
		while (w->at < trace_ring_held(ring)) {
			const struct trace_event *e = trace_ring_at(ring, w->at++);
			if (e->kind == TRACE_RUN_START) {
				w->start = *e;
				w->open_run = true;
				continue;
			}
			if (e->kind == TRACE_EXIT) {
				const char *exit = src->exit_name(e->arg);
				if (!exit) {
					ksnprintf(name, sizeof(name), "exit %u", e->arg);
					exit = name;
				}
				char vm[64];
				src->run_name(e->vm_id, e->vcpu, vm, sizeof(vm));
				trace_json_microseconds(since_base(w, e->tsc), src->tsc_hz, ts,
							sizeof(ts));
				ksnprintf(line, TRACE_JSON_LINE_MAX,
					  ",{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%u,"
					  "\"name\":\"%s\","
					  "\"ts\":%s,\"args\":{\"vm\":\"%s\"}}",
					  w->cpu, exit, ts, vm);
				w->exits++;
				return true;
			}
			/* A run's end: a complete event, if its start is still held (the ring
			 * may have overwritten it, or tracing began during the run). */
			if (e->kind != TRACE_RUN_END || !w->open_run ||
			    w->start.vm_id != e->vm_id || w->start.vcpu != e->vcpu)
				continue;
			w->open_run = false;
			src->run_name(e->vm_id, e->vcpu, name, sizeof(name));
			trace_json_microseconds(since_base(w, w->start.tsc), src->tsc_hz, ts,
						sizeof(ts));
			trace_json_microseconds(e->tsc - w->start.tsc, src->tsc_hz, dur,
						sizeof(dur));
			ksnprintf(line, TRACE_JSON_LINE_MAX,
				  ",{\"ph\":\"X\",\"pid\":1,\"tid\":%u,\"name\":\"%s\",\"ts\":%s,"
				  "\"dur\":%s,\"args\":{\"end\":\"%s\"}}",
				  w->cpu, name, ts, dur, src->end_name(e->arg));
			w->runs++;
			return true;
		}
	}
	return false;
}

bool trace_json_next(struct trace_json *w, char *line)
{
	const struct trace_json_source *src = w->src;
	switch (w->stage) {
	case STAGE_PROCESS:
		/* The first element carries no comma: every later line starts with one. */
		ksnprintf(line, TRACE_JSON_LINE_MAX,
			  "{\"traceEvents\":[{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\","
			  "\"args\":{\"name\":\"kan\"}}");
		w->stage = STAGE_LANES;
		break;
	case STAGE_LANES:
		while (w->cpu < src->ring_count && !src->rings[w->cpu].size)
			w->cpu++;
		if (w->cpu < src->ring_count) {
			ksnprintf(line, TRACE_JSON_LINE_MAX,
				  ",{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\","
				  "\"args\":{\"name\":\"cpu %u\"}}",
				  w->cpu, w->cpu);
			w->cpu++;
			break;
		}
		w->cpu = 0;
		w->stage = STAGE_EVENTS;
		/* fall through */
	case STAGE_EVENTS:
		if (event_line(w, line))
			break;
		w->stage = STAGE_END;
		/* fall through */
	case STAGE_END: {
		uint64_t lost = 0;
		for (unsigned c = 0; c < src->ring_count; c++)
			lost += trace_ring_lost(&src->rings[c]);
		ksnprintf(line, TRACE_JSON_LINE_MAX,
			  "],\"displayTimeUnit\":\"ms\",\"otherData\":{\"runs\":%lu,\"exits\":%lu,"
			  "\"lost\":%lu}}",
			  w->runs, w->exits, lost);
		w->stage = STAGE_DONE;
		break;
	}
	default:
		return false;
	}
	w->lines++;
	return true;
}
