/* The TSC calibration's arithmetic (kernel/calibrate.c): CPUID 0x15/0x16, counter windows with
 * wraparound, SMI-skewed windows, a counter that never counts, and the choice between sources.
 * The counters are fakes over one simulated clock, read through the same pointers kan uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/calibrate.h"

#define TSC_HZ	  2400000000ull
#define PM_HZ	  3579545ull
#define PIT_HZ	  1193182ull
#define READ_COST 3000 /* TSC ticks each counter read takes (1.25 us) */

/* The simulated machine: time in TSC ticks, and what the fakes do. */
static struct {
	uint64_t now;
	uint64_t ref_hz;
	uint32_t mask, offset;
	bool counts_down;
	unsigned reads, frozen_after; /* the counter stops after this many reads (0: never) */
	unsigned tsc_reads, smi_at;   /* an SMI lands just before TSC read number smi_at */
	uint64_t smi_ticks;
} sim;

static uint32_t fake_read(void)
{
	sim.now += READ_COST;
	sim.reads++;
	bool frozen = sim.frozen_after && sim.reads > sim.frozen_after;
	uint64_t at = frozen ? (uint64_t)sim.frozen_after * READ_COST : sim.now;
	uint64_t ticks = (uint64_t)((unsigned __int128)at * sim.ref_hz / TSC_HZ) + sim.offset;
	return (uint32_t)(sim.counts_down ? ~ticks : ticks) & sim.mask;
}

static uint64_t fake_tsc(void)
{
	if (++sim.tsc_reads == sim.smi_at)
		sim.now += sim.smi_ticks; /* between the counter's read and RDTSC */
	return sim.now;
}

static struct calib_counter counter(uint64_t hz, uint32_t mask, bool down, uint32_t offset)
{
	sim = (typeof(sim)){ .ref_hz = hz, .mask = mask, .counts_down = down, .offset = offset };
	return (struct calib_counter){
		.read = fake_read, .tsc = fake_tsc, .mask = mask, .counts_down = down, .hz = hz
	};
}

static void cpuid15_with_a_crystal_frequency(void **state)
{
	(void)state;
	/* A 24 MHz crystal, ratio 200/2: 2.4 GHz. */
	assert_int_equal(calib_cpuid15_hz(2, 200, 24000000, 0x906ea), 2400000000ull);
	/* An odd ratio: 38.4 MHz * 125 / 2. */
	assert_int_equal(calib_cpuid15_hz(2, 125, 38400000, 0xa0671), 2400000000ull);
}

static void cpuid15_without_a_crystal_uses_the_listed_one_or_nothing(void **state)
{
	(void)state;
	/* Skylake client (06_5EH), ECX = 0: the SDM's 24 MHz. */
	assert_int_equal(calib_cpuid15_hz(2, 292, 0, 0x506e3), 3504000000ull);
	/* Kaby Lake (06_9EH, extended model 9). */
	assert_int_equal(calib_cpuid15_hz(2, 300, 0, 0x906e9), 3600000000ull);
	/* Goldmont (06_5CH): 19.2 MHz. */
	assert_int_equal(calib_cpuid15_hz(3, 312, 0, 0x506c9), 1996800000ull);
	/* Skylake-X (06_55H, Bochs's corei7_skylake_x gives exactly this): no figure. */
	assert_int_equal(calib_cpuid15_hz(2, 0x124, 0, 0x50654), 0);
	/* Not family 6: never guessed. */
	assert_int_equal(calib_cpuid15_hz(2, 292, 0, 0xf5e3), 0);
	/* Ratio not enumerated. */
	assert_int_equal(calib_cpuid15_hz(0, 292, 24000000, 0x506e3), 0);
	assert_int_equal(calib_cpuid15_hz(2, 0, 24000000, 0x506e3), 0);
}

static void cpuid16_is_the_base_frequency(void **state)
{
	(void)state;
	assert_int_equal(calib_cpuid16_hz(0xdac), 3500000000ull);
	assert_int_equal(calib_cpuid16_hz(0xffff0000u | 2100), 2100000000ull); /* reserved bits */
	assert_int_equal(calib_cpuid16_hz(0), 0);
}

static void deltas_wrap_at_the_counters_width(void **state)
{
	(void)state;
	struct calib_counter pm24 = { .mask = 0xffffff }, pm32 = { .mask = 0xffffffff },
			     pit = { .mask = 0xffff, .counts_down = true };
	assert_int_equal(calib_delta(&pm24, 0xfffff0, 0x10), 0x20);
	assert_int_equal(calib_delta(&pm24, 0x100, 0x180), 0x80);
	assert_int_equal(calib_delta(&pm32, 0xfffffff0u, 0x10), 0x20);
	assert_int_equal(calib_delta(&pit, 0x0005, 0xfffb), 10);
	assert_int_equal(calib_delta(&pit, 0x8000, 0x7000), 0x1000);
}

static void rate_and_ppm_arithmetic(void **state)
{
	(void)state;
	/* 10 ms of the PM timer and 24 million TSC ticks: 2.4 GHz. */
	assert_int_equal(calib_rate(24000000, 35795, PM_HZ), 24000000ull * PM_HZ / 35795);
	assert_int_equal(calib_rate(123, 0, PM_HZ), 0);
	/* Large TSC counts do not overflow: 100 s at 5 GHz over 100 s of the PIT. */
	assert_int_equal(calib_rate(500000000000ull, 119318200, PIT_HZ), 5000000000ull);
	assert_int_equal(calib_ppm(1001000, 1000000), 1000);
	assert_int_equal(calib_ppm(999000, 1000000), 1000);
	assert_int_equal(calib_ppm(5, 0), UINT32_MAX);
}

static void a_pm_timer_window_measures_the_tsc_across_a_wrap(void **state)
{
	(void)state;
	/* A 24-bit timer 1000 ticks before it wraps: 10 ms of it wraps once. */
	struct calib_counter c = counter(PM_HZ, 0xffffff, false, 0xffffff - 1000);
	uint64_t hz = calib_window(&c, 35795);
	assert_true(calib_ppm(hz, TSC_HZ) < 200);
	assert_true(sim.now > (uint64_t)TSC_HZ / 100); /* the window did last 10 ms */
}

static void a_pit_window_counts_down_and_wraps(void **state)
{
	(void)state;
	struct calib_counter c = counter(PIT_HZ, 0xffff, true, 0xfff0);
	uint64_t hz = calib_window(&c, 11931);
	assert_true(calib_ppm(hz, TSC_HZ) < 200);
}

static void a_pit_that_never_counts_gives_no_result_quickly(void **state)
{
	(void)state;
	struct calib_counter c = counter(PIT_HZ, 0xffff, true, 0);
	sim.frozen_after = 1; /* a constant from the first read on */
	struct calib_measure m = calib_measure(&c, 11931);
	assert_int_equal(m.hz, 0);
	assert_int_equal(m.windows, 0);
	/* Given up after the stall bound, not after a window's (or a minute's) worth. */
	assert_true(sim.reads <= CALIB_STALL_READS + 2);
}

static void a_counter_that_stops_mid_window_gives_no_result(void **state)
{
	(void)state;
	struct calib_counter c = counter(PM_HZ, 0xffffff, false, 0);
	sim.frozen_after = 12000; /* a window is about 8000 reads: half into the second */
	struct calib_measure m = calib_measure(&c, 35795);
	assert_int_equal(m.hz, 0);
	assert_int_equal(m.windows, 1);
	assert_true(sim.reads <= 12000 + CALIB_STALL_READS + 2);
}

static void one_smi_skewed_window_is_an_outlier_and_the_median_holds(void **state)
{
	(void)state;
	struct calib_counter c = counter(PM_HZ, 0xffffff, false, 0);
	/* Each window reads the TSC twice; an SMI of 300 us ends window 3 late. */
	sim.smi_at = 6;
	sim.smi_ticks = TSC_HZ / 1000000 * 300;
	struct calib_measure m = calib_measure(&c, 35795);
	assert_int_equal(m.windows, CALIB_WINDOWS);
	assert_int_equal(m.outliers, 1);
	assert_true(calib_ppm(m.hz, TSC_HZ) < 200);
}

static void the_median_needs_most_windows_to_agree(void **state)
{
	(void)state;
	uint64_t skewed[] = { 2400000000, 2400100000, 2472000000, 2399900000, 2400050000 };
	struct calib_measure m = calib_median(skewed, 5);
	assert_int_equal(m.hz, 2400050000);
	assert_int_equal(m.outliers, 1);
	/* Scattered: no two within 2000 ppm of the median but itself. */
	uint64_t scattered[] = { 2000000000, 2200000000, 2400000000, 2600000000, 2800000000 };
	m = calib_median(scattered, 5);
	assert_int_equal(m.hz, 0);
	assert_int_equal(m.outliers, 4);
	assert_int_equal(calib_median(NULL, 0).hz, 0);
}

static void cpuid15_is_used_when_a_timer_agrees(void **state)
{
	(void)state;
	struct calib_choice c = calib_choose(2400000000, 2400120000, 2399000000, 2400000000);
	assert_int_equal(c.source, CALIB_CPUID15);
	assert_int_equal(c.hz, 2400000000);
	assert_int_equal(c.check, CALIB_PM_TIMER);
	assert_int_equal(c.ppm, 50);
	assert_false(c.warn);
	assert_false(c.cpuid_overruled);
}

static void cpuid15_far_from_the_timers_is_overruled(void **state)
{
	(void)state;
	/* What an emulator does: the CPU model states 3.5 GHz, the TSC runs at 4 MHz. */
	struct calib_choice c = calib_choose(3504000000, 4001000, 4001050, 3500000000);
	assert_int_equal(c.source, CALIB_PM_TIMER);
	assert_int_equal(c.hz, 4001000);
	assert_int_equal(c.check, CALIB_CPUID15);
	assert_int_equal(c.check_hz, 3504000000);
	assert_true(c.cpuid_overruled);
	assert_true(c.warn);
	/* 1.1 % off: overruled too; 0.6 %: kept, with a warning. */
	assert_true(calib_choose(2426400000, 2400000000, 0, 0).cpuid_overruled);
	c = calib_choose(2414400000, 2400000000, 0, 0);
	assert_int_equal(c.source, CALIB_CPUID15);
	assert_true(c.warn);
}

static void without_cpuid15_the_pm_timer_then_the_pit(void **state)
{
	(void)state;
	struct calib_choice c = calib_choose(0, 4001000, 4001044, 3500000000);
	assert_int_equal(c.source, CALIB_PM_TIMER);
	assert_int_equal(c.check, CALIB_PIT);
	assert_int_equal(c.ppm, 10);
	assert_false(c.warn);
	/* No PM timer: the PIT, checked by CPUID 0x16's nominal base. */
	c = calib_choose(0, 0, 2100300000, 2100000000);
	assert_int_equal(c.source, CALIB_PIT);
	assert_int_equal(c.check, CALIB_CPUID16);
	assert_false(c.warn);
	/* Two timers 0.6 % apart: a warning, the PM timer kept. */
	c = calib_choose(0, 2400000000, 2414400000, 0);
	assert_int_equal(c.source, CALIB_PM_TIMER);
	assert_true(c.warn);
	/* Only CPUID 0x16: a nominal figure, unchecked. */
	c = calib_choose(0, 0, 0, 2100000000);
	assert_int_equal(c.source, CALIB_CPUID16);
	assert_int_equal(c.check, CALIB_NONE);
	/* Nothing at all: kan's caller assumes a rate and says so. */
	assert_int_equal(calib_choose(0, 0, 0, 0).source, CALIB_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpuid15_with_a_crystal_frequency),
		cmocka_unit_test(cpuid15_without_a_crystal_uses_the_listed_one_or_nothing),
		cmocka_unit_test(cpuid16_is_the_base_frequency),
		cmocka_unit_test(deltas_wrap_at_the_counters_width),
		cmocka_unit_test(rate_and_ppm_arithmetic),
		cmocka_unit_test(a_pm_timer_window_measures_the_tsc_across_a_wrap),
		cmocka_unit_test(a_pit_window_counts_down_and_wraps),
		cmocka_unit_test(a_pit_that_never_counts_gives_no_result_quickly),
		cmocka_unit_test(a_counter_that_stops_mid_window_gives_no_result),
		cmocka_unit_test(one_smi_skewed_window_is_an_outlier_and_the_median_holds),
		cmocka_unit_test(the_median_needs_most_windows_to_agree),
		cmocka_unit_test(cpuid15_is_used_when_a_timer_agrees),
		cmocka_unit_test(cpuid15_far_from_the_timers_is_overruled),
		cmocka_unit_test(without_cpuid15_the_pm_timer_then_the_pit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
