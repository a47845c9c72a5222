/* IPI ping-pong: the BSP sends PING to one AP, whose handler answers PONG; the next PING goes
 * when the PONG is in. Both sides count, so a lost IPI (a bounded wait runs out) and a doubled
 * one (a count above the number sent) both fail. */
#include "smp.h"

#define ROUND_TRIP_WAIT_MS 1000
#define SETTLE_MS	   5 /* after the last round trip: time for a doubled IPI to land */

static void ping_received(struct smp_cpu *c)
{
	c->pings++;
	if (smp_break == 1 && c->pings == 5000)
		c->pings++; /* the deliberate bug: one PING counted twice */
	apic_send(0, ICR_FIXED | VECTOR_PONG);
	apic_eoi();
}

static void pong_received(struct smp_cpu *c)
{
	c->pongs++;
	apic_eoi();
}

static void wake_received(struct smp_cpu *c)
{
	c->wakes++;
	apic_eoi();
}

/* Spurious interrupts take no EOI (SDM Vol. 3A, 10.9). */
static void spurious_received(struct smp_cpu *c)
{
	c->spurious++;
}

void smp_ipi_handlers_install(void)
{
	smp_set_handler(VECTOR_PING, ping_received);
	smp_set_handler(VECTOR_PONG, pong_received);
	smp_set_handler(VECTOR_WAKE, wake_received);
	smp_set_handler(VECTOR_SPURIOUS, spurious_received);
}

static void ping_pong_with(struct smp_cpu *bsp, struct smp_cpu *ap, const char *mode,
			   uint64_t round_trips)
{
	uint64_t pings0 = ap->pings, pongs0 = bsp->pongs;
	uint64_t start = guest_rdtsc();
	for (uint64_t i = 1; i <= round_trips; i++) {
		apic_send(ap->apic_id, ICR_FIXED | VECTOR_PING);
		if (!smp_wait(bsp->pongs - pongs0 >= i, smp_ms(ROUND_TRIP_WAIT_MS)))
			smp_fail("%s ping-pong with cpu %u: no PONG for round trip %lu within %u "
				 "ms (cpu %u counted %lu PINGs)",
				 mode, ap->index, i, ROUND_TRIP_WAIT_MS, ap->index,
				 ap->pings - pings0);
	}
	uint64_t ticks = guest_rdtsc() - start;
	smp_wait(0, smp_ms(SETTLE_MS));
	uint64_t pings = ap->pings - pings0, pongs = bsp->pongs - pongs0;
	if (pings != round_trips || pongs != round_trips)
		smp_fail("%s ping-pong with cpu %u: %lu round trips, but cpu %u counted %lu PINGs "
			 "and cpu 0 %lu PONGs",
			 mode, ap->index, round_trips, ap->index, pings, pongs);
	smp_say("smp: %s ping-pong cpu 0 <-> cpu %u: %lu round trips, %lu TSC ticks each\n", mode,
		ap->index, round_trips, ticks / round_trips);
}

void smp_ping_pong(const char *mode, uint64_t round_trips)
{
	struct smp_cpu *bsp = smp_self();
	bsp->step = "sending PINGs";
	uint64_t start = guest_rdtsc();
	for (unsigned i = 1; i < smp_ncpus; i++)
		ping_pong_with(bsp, &smp_cpus[i], mode, round_trips);
	uint64_t total = round_trips * (smp_ncpus - 1);
	smp_say("smp: %s ping-pong: %lu round trips in all, %lu TSC ticks each\n", mode, total,
		(guest_rdtsc() - start) / total);
}
