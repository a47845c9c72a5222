#include "kernel/trace.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/trace_json.h"
#include "kernel/trace_select.h"
#include "kernel/vcpu_backend.h"
#include "kernel/vm.h"

/* The dump keeps at most this much of the console waiting: the rest stays for everyone else
 * (guests see their UART busy only past half the console's ring). */
#define DUMP_BACKLOG_MAX 6144
/* Lines per pass of the boot CPU's loop: a pass comes at least once a slice, so the dump
 * still outruns a 115200-baud line while a slice waits for no more than a few lines. */
#define DUMP_LINES_PER_PASS 8

uint32_t trace_flags;
static struct trace_ring *rings; /* one per CPU slot, from the first trace on */
static unsigned ring_count;
static bool every_exit;
static uint64_t exit_mask[(VCPU_EXIT_REASONS + 63) / 64];
bool trace_dumping;
static struct trace_json dump;
static struct trace_json_source source;

/* Up to two events into this CPU's ring (the second if kind2 is not 0). */
static void record(struct vcpu *vcpu, uint8_t kind, uint32_t arg, uint64_t tsc, uint8_t kind2,
		   uint32_t arg2, uint64_t tsc2)
{
	struct trace_ring *ring = &rings[this_cpu()->index];
	/* busy, then the flags again: trace off clears the flags, then waits for busy to
	 * drop, so no event lands in a ring being dumped or cleared. */
	__atomic_store_n(&ring->busy, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&trace_flags, __ATOMIC_SEQ_CST)) {
		struct trace_event e = { .tsc = tsc,
					 .vm_id = (uint16_t)vcpu->vm->id,
					 .kind = kind,
					 .vcpu = (uint8_t)vcpu->index,
					 .arg = arg };
		trace_ring_push(ring, &e);
		if (kind2) {
			e.kind = kind2;
			e.arg = arg2;
			e.tsc = tsc2;
			trace_ring_push(ring, &e);
		}
	}
	__atomic_store_n(&ring->busy, 0, __ATOMIC_RELEASE);
}

void trace_record_run(struct vcpu *vcpu, uint64_t start, uint64_t end, int vcpu_event)
{
	static const uint8_t ends[] = {
		[VCPU_EVENT_PREEMPTED] = TRACE_END_SLICE,
		[VCPU_EVENT_YIELDED] = TRACE_END_YIELD,
		[VCPU_EVENT_HALTED] = TRACE_END_HLT,
		[VCPU_EVENT_ENDED] = TRACE_END_VM,
	};
	record(vcpu, TRACE_RUN_START, 0, start, TRACE_RUN_END, ends[vcpu_event], end);
}

void trace_record_exit(struct vcpu *vcpu, unsigned exit_index)
{
	if (every_exit || (exit_mask[exit_index / 64] >> (exit_index % 64) & 1))
		record(vcpu, TRACE_EXIT, exit_index, rdtsc(), 0, 0, 0);
}

/* Clears the flags and waits until no CPU is writing an event. */
static void stop_recording(void)
{
	__atomic_store_n(&trace_flags, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < ring_count; i++)
		while (__atomic_load_n(&rings[i].busy, __ATOMIC_SEQ_CST))
			cpu_relax();
}

/* The rings, at the first trace on: 256 KiB for each CPU that runs VMs. */
static bool take_memory(void)
{
	if (rings)
		return true;
	unsigned count = percpu_count();
	uint64_t table = phys_alloc(count * sizeof(struct trace_ring), 64);
	if (!table) {
		printk("kan: trace refused: no memory for its ring table\n");
		return false;
	}
	struct trace_ring *r = phys_to_ptr(table);
	for (unsigned i = 0; i < count; i++) {
		if (!percpu_is_present(i))
			continue;
		uint64_t bytes = TRACE_EVENTS_PER_CPU * sizeof(struct trace_event);
		uint64_t events = phys_alloc(bytes, 64);
		if (!events) {
			printk("kan: trace refused: no memory for cpu %u's ring (%lu KiB)\n", i,
			       bytes >> 10);
			for (unsigned k = 0; k < i; k++)
				if (r[k].size)
					phys_free((uint64_t)(uintptr_t)r[k].events, bytes);
			phys_free(table, count * sizeof(struct trace_ring));
			return false;
		}
		trace_ring_init(&r[i], phys_to_ptr(events), TRACE_EVENTS_PER_CPU);
	}
	ring_count = count;
	rings = r;
	return true;
}

/* "exits=NAME,NAME": marks each exit whose name a NAME selects; false (printed) if a NAME
 * selects none. */
static bool select_exits(const char *names)
{
	memset(exit_mask, 0, sizeof(exit_mask));
	for (const char *w = names; *w;) {
		size_t len = 0;
		while (w[len] && w[len] != ',')
			len++;
		bool any = false;
		for (unsigned i = 0; i < VCPU_EXIT_REASONS; i++) {
			const char *name = backend_exit_name(i);
			if (name && trace_exit_name_matches(name, w, len)) {
				exit_mask[i / 64] |= 1ull << (i % 64);
				any = true;
			}
		}
		if (!any) {
			char word[32];
			strlcpy(word, w, len + 1 < sizeof(word) ? len + 1 : sizeof(word));
			printk("kan: trace refused: no exit is called '%s' (stats shows the "
			       "names)\n",
			       word);
			return false;
		}
		w += len;
		if (*w == ',')
			w++;
	}
	return true;
}

static void say_exits(void)
{
	char line[400];
	int n = 0;
	for (unsigned i = 0; i < VCPU_EXIT_REASONS && n < (int)sizeof(line); i++)
		if (exit_mask[i / 64] >> (i % 64) & 1)
			n += ksnprintf(line + n, sizeof(line) - (size_t)n, " '%s'",
				       backend_exit_name(i));
	printk("kan: trace: exits recorded:%s\n", n ? line : " every one");
}

bool trace_start(const char *what)
{
	uint32_t flags = TRACE_RUNS;
	bool every = false;
	if (trace_dumping) {
		printk("kan: trace refused: a dump is being written\n");
		return false;
	}
	if (!strcmp(what, "exits")) {
		flags |= TRACE_EXITS;
		every = true;
	} else if (!strncmp(what, "exits=", 6)) {
		flags |= TRACE_EXITS;
	} else if (*what && strcmp(what, "runs")) {
		printk("kan: trace refused: '%s' (trace on [runs|exits|exits=NAME,NAME..])\n",
		       what);
		return false;
	}
	if (!take_memory())
		return false;
	stop_recording();
	if ((flags & TRACE_EXITS) && !every && !select_exits(what + 6))
		return false;
	every_exit = every;
	if (every)
		memset(exit_mask, 0, sizeof(exit_mask));
	for (unsigned i = 0; i < ring_count; i++)
		trace_ring_clear(&rings[i]);
	printk("kan: trace on: runs%s, %u events a CPU\n", flags & TRACE_EXITS ? " and exits" : "",
	       TRACE_EVENTS_PER_CPU);
	if (flags & TRACE_EXITS)
		say_exits();
	__atomic_store_n(&trace_flags, flags, __ATOMIC_SEQ_CST);
	return true;
}

static void status(void)
{
	uint32_t flags = __atomic_load_n(&trace_flags, __ATOMIC_RELAXED);
	printk("kan: trace %s%s%s\n", flags ? "on: runs" : "off",
	       flags & TRACE_EXITS ? " and exits" : "",
	       trace_dumping ? " (a dump is being written)" : "");
	if (!rings) {
		printk("kan:   no rings yet (trace on takes %lu KiB a CPU)\n",
		       TRACE_EVENTS_PER_CPU * sizeof(struct trace_event) >> 10);
		return;
	}
	for (unsigned i = 0; i < ring_count; i++)
		if (rings[i].size)
			printk("kan:   cpu %u: %lu events held of %u, %lu lost\n", i,
			       trace_ring_held(&rings[i]), rings[i].size,
			       trace_ring_lost(&rings[i]));
}

static void run_name(unsigned vm_id, unsigned vcpu, char *buf, size_t size)
{
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_by_index(i);
		if (vm->id != vm_id)
			continue;
		if (vm->vcpu_count > 1)
			ksnprintf(buf, size, "%s/%u", vm->config.name, vcpu);
		else
			ksnprintf(buf, size, "%s", vm->config.name);
		return;
	}
	ksnprintf(buf, size, "vm %u", vm_id); /* destroyed since */
}

static const char *end_name(uint32_t arg)
{
	static const char *const names[] = {
		[TRACE_END_SLICE] = "slice end",
		[TRACE_END_YIELD] = "yield",
		[TRACE_END_HLT] = "HLT",
		[TRACE_END_VM] = "vm stopped",
	};
	return arg < sizeof(names) / sizeof(names[0]) ? names[arg] : "?";
}

static bool start_dump(void)
{
	if (__atomic_load_n(&trace_flags, __ATOMIC_RELAXED)) {
		stop_recording();
		printk("kan: trace off (for the dump)\n");
	}
	uint64_t held = 0;
	for (unsigned i = 0; i < ring_count; i++)
		held += trace_ring_held(&rings[i]);
	if (!held) {
		printk("kan: trace dump: nothing recorded (trace on first)\n");
		return false;
	}
	source = (struct trace_json_source){ .rings = rings,
					     .ring_count = ring_count,
					     .tsc_hz = time_tsc_hz(),
					     .run_name = run_name,
					     .exit_name = backend_exit_name,
					     .end_name = end_name };
	trace_json_begin(&dump, &source);
	printk("kan: trace dump begins: %lu events; the JSON is the lines up to the end line "
	       "that start with '{', ',' or ']'\n",
	       held);
	trace_dumping = true;
	return true;
}

void trace_dump_write(void)
{
	char line[TRACE_JSON_LINE_MAX];
	for (int n = 0; n < DUMP_LINES_PER_PASS && console_backlog() < DUMP_BACKLOG_MAX; n++) {
		if (!trace_json_next(&dump, line)) {
			printk("kan: trace dump ends: %lu lines, %lu runs, %lu exits\n", dump.lines,
			       dump.runs, dump.exits);
			trace_dumping = false;
			shell_prompt();
			return;
		}
		printk("%s\n", line);
	}
}

bool trace_command(const char *args)
{
	if (!strncmp(args, "on", 2) && (args[2] == ' ' || !args[2])) {
		const char *what = args + 2;
		while (*what == ' ')
			what++;
		trace_start(what);
	} else if (!strcmp(args, "off")) {
		if (__atomic_load_n(&trace_flags, __ATOMIC_RELAXED))
			stop_recording();
		status(); /* "kan: trace off", and what the rings hold */
	} else if (!strcmp(args, "dump")) {
		if (trace_dumping)
			printk("kan: trace dump: one is being written\n");
		else if (rings)
			return start_dump();
		else
			printk("kan: trace dump: nothing recorded (trace on first)\n");
	} else if (!*args) {
		status();
	} else {
		printk("kan: trace takes on [runs|exits|exits=NAME,..], off or dump, not '%s'\n",
		       args);
	}
	return false;
}
