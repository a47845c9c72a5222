/*
 * kan's benchmark guest. Under Bochs the TSC ticks once per instruction, so an RDTSC pair
 * around an operation counts the instructions kan spent on it. mode= picks what it measures:
 *   micro    exit round trips: CPUID, null hypercall, a virtual-UART register write, a read
 *            of a port nobody owns (REPS repetitions each, median and spread)
 *   pingpong two of these on one CPU yield to each other: the guest-to-guest switch; then
 *            again with each dirtying all of its extended state before each yield
 *   compute  a fixed amount of integer work: work per tick, to compare with bare metal
 */
#include "compute.h"
#include "guest.h"
#include "xstate.h"

#define REPS	     101
#define UART_SCRATCH (KAN_UART_PORT + 7)
#define UNOWNED_PORT 0x2f8 /* COM2: no VM owns it */

static uint64_t samples[REPS];

static void sort(uint64_t *a, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
			uint64_t t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

/* One line per figure: name, median, 10th and 90th percentile, in TSC ticks. */
static void report(const char *name)
{
	sort(samples, REPS);
	guest_printf("bench: %s median %lu p10 %lu p90 %lu\n", name, samples[REPS / 2],
		     samples[REPS / 10], samples[REPS - 1 - REPS / 10]);
}

#define MEASURE(name, op)                                                                          \
	do {                                                                                       \
		for (int i = 0; i < REPS; i++) {                                                   \
			uint64_t t0 = compute_rdtsc();                                             \
			op;                                                                        \
			samples[i] = compute_rdtsc() - t0;                                         \
		}                                                                                  \
		report(name);                                                                      \
	} while (0)

static void micro(void)
{
	uint32_t a, b, c, d;
	MEASURE("empty", (void)0);
	MEASURE("cpuid", guest_cpuid(0, &a, &b, &c, &d));
	MEASURE("hypercall", kan_hypercall(KAN_HC_VERSION, 0, 0, 0));
	MEASURE("uart-write", guest_out(UART_SCRATCH, 1, (uint8_t)i));
	MEASURE("unowned-read", (void)guest_in(UNOWNED_PORT, 1));
}

/* Yield round trips; `dirty` runs before each, outside the measured part. */
static void yield_round_trips(const char *name, int warm_up, void (*dirty)(void))
{
	/* Let the other guests on this CPU get in step before measuring. */
	for (int i = 0; i < warm_up; i++) {
		dirty();
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
	}
	for (int i = 0; i < REPS; i++) {
		dirty();
		uint64_t t0 = compute_rdtsc();
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
		samples[i] = compute_rdtsc() - t0;
	}
	report(name);
}

static void nothing(void)
{
}

static void pingpong(void)
{
	yield_round_trips("yield-round-trip", 200, nothing);
	/* The partner's dirtying falls inside each round trip; the bench subtracts it. */
	uint64_t xcr0;
	unsigned more = xstate_enable(&xcr0);
	const char *vectors = more & XSTATE_AVX512 ? "zmm0-31, opmask k0-7"
			      : more & XSTATE_AVX  ? "ymm0-15"
						   : "xmm0-15";
	if (xcr0)
		guest_printf("bench: xstate dirtied: x87 stack, MXCSR, %s (XCR0 0x%lx)\n", vectors,
			     xcr0);
	else
		guest_printf("bench: xstate dirtied: x87 stack, MXCSR, %s (CPUID offers no XSAVE, "
			     "so no AVX)\n",
			     vectors);
	MEASURE("xstate-dirty", xstate_dirty());
	yield_round_trips("xstate-round-trip", 50, xstate_dirty);
}

static void compute(void)
{
	uint64_t t0 = compute_rdtsc();
	uint64_t seed = compute_work(1, COMPUTE_ROUNDS);
	uint64_t ticks = compute_rdtsc() - t0;
	guest_printf("bench: compute %u rounds in %lu ticks (%lx)\n", COMPUTE_ROUNDS, ticks,
		     seed & 0xff);
}

int64_t guest_main(const struct kan_start_info *info)
{
	switch (guest_arg(info, "mode", 0)) {
	case 0:
		micro();
		break;
	case 1:
		pingpong();
		break;
	default:
		compute();
		break;
	}
	return 0;
}
