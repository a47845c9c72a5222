/*
 * timercost=1 (make bench): what one local APIC timer interrupt costs the code it interrupts,
 * in TSC ticks. The BSP runs a loop that reads the TSC, with a periodic timer on; an iteration
 * in which the timer's handler ran is longer than the others by what the interrupt took:
 * delivery, the handler and its EOI, and whatever a hypervisor did for them. Long iterations
 * without an interrupt (a hypervisor's own work: slice ends, its console) are counted apart,
 * not charged. Where the TSC counts instructions (Bochs) the figure is instructions. A figure,
 * never a check: nothing here fails the run.
 */
#include "smp.h"

#define COST_WINDOW_MS 100
#define COST_QUIET_MS  5    /* the loop alone, for the length of one iteration */
#define COST_PERIOD_US 1000 /* HZ=1000, as Linux's tick */
#define DIVIDE_1       0xb

struct cost {
	uint64_t iterations, shortest;	    /* the shortest iteration: the loop's own */
	uint64_t interrupts, gaps, charged; /* the long iterations charged to interrupts */
	uint64_t others, other_ticks;	    /* long iterations with no interrupt in them */
};

static volatile uint64_t ticks_seen;

static void cost_tick(struct smp_cpu *c)
{
	(void)c;
	ticks_seen++;
	apic_eoi();
}

/*
 * Reads the TSC for `ticks`, interrupts on. An interrupt that lands between an iteration's TSC
 * read and its look at ticks_seen is seen before its cost is: it is owed to the next long
 * iteration. `slow`: longer than this is a long iteration (0 while measuring the shortest).
 */
static void spin_measure(uint64_t ticks, uint64_t slow, struct cost *k)
{
	uint64_t prev = guest_rdtsc(), end = prev + ticks, seen = ticks_seen, owed = 0;
	*k = (struct cost){ .shortest = ~0ull };
	__asm__ volatile("sti" ::: "memory");
	while (prev < end) {
		uint64_t now = guest_rdtsc(), count = ticks_seen, gap = now - prev;
		prev = now;
		owed += count - seen;
		seen = count;
		k->iterations++;
		if (gap < k->shortest)
			k->shortest = gap;
		if (!slow || gap <= slow)
			continue;
		if (owed) {
			k->interrupts += owed;
			k->gaps++;
			k->charged += gap;
			owed = 0;
		} else {
			k->others++;
			k->other_ticks += gap;
		}
	}
	__asm__ volatile("cli" ::: "memory");
}

void smp_timer_cost(const char *mode)
{
	struct smp_cpu *c = smp_self();
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0" : "=r"(flags)::"memory");
	c->step = "measuring the timer interrupt's cost";
	uint64_t ratio_q16 = smp_timer_calibrate(); /* leaves the timer stopped */
	smp_set_handler(VECTOR_TIMER, cost_tick);
	struct cost quiet, busy;
	spin_measure(smp_ms(COST_QUIET_MS), 0, &quiet);

	uint64_t period = COST_PERIOD_US * smp_tsc_per_ms / 1000;
	apic_write(APIC_TIMER_DIVIDE, DIVIDE_1);
	apic_write(APIC_LVT_TIMER, APIC_LVT_PERIODIC | VECTOR_TIMER);
	apic_write(APIC_TIMER_INITIAL, (uint32_t)((period << 16) / ratio_q16));
	spin_measure(smp_ms(COST_WINDOW_MS), 2 * quiet.shortest, &busy);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VECTOR_TIMER);
	apic_write(APIC_TIMER_INITIAL, 0);
	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
	c->step = "running";

	if (!busy.interrupts) {
		smp_say("smp: %s timer interrupt cost: not measured, no interrupt in %u ms\n", mode,
			COST_WINDOW_MS);
		return;
	}
	/* Under 200 bytes: kan splits longer lines. */
	smp_say("smp: %s timer interrupt cost: %lu TSC ticks each (%lu interrupts in %u ms, "
		"iteration %lu; %lu other long iterations, %lu ticks)\n",
		mode, (busy.charged - busy.gaps * quiet.shortest) / busy.interrupts,
		busy.interrupts, COST_WINDOW_MS, quiet.shortest, busy.others, busy.other_ticks);
}
