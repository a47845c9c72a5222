#include "kernel/calibrate.h"

uint32_t calib_delta(const struct calib_counter *c, uint32_t from, uint32_t to)
{
	return (c->counts_down ? from - to : to - from) & c->mask;
}

uint64_t calib_rate(uint64_t tsc_ticks, uint64_t ref_ticks, uint64_t ref_hz)
{
	if (!ref_ticks)
		return 0;
	/* In two parts, without 128-bit division (kan has no libgcc): exact while ref_ticks
	 * and ref_hz stay below 2^32. */
	return tsc_ticks / ref_ticks * ref_hz + tsc_ticks % ref_ticks * ref_hz / ref_ticks;
}

uint64_t calib_window(const struct calib_counter *c, uint32_t ticks)
{
	/* Start at a change of the counter, so the window does not begin part-way into a tick. */
	uint32_t prev = c->read(), now;
	unsigned stalled = 0;
	while ((now = c->read()) == prev)
		if (++stalled > CALIB_STALL_READS)
			return 0;
	uint64_t start = c->tsc();
	uint64_t elapsed = 0;
	prev = now;
	stalled = 0;
	/* Each read adds what passed since the last, so a wrap is counted, never lost. */
	while (elapsed < ticks) {
		now = c->read();
		uint32_t d = calib_delta(c, prev, now);
		if (!d) {
			if (++stalled > CALIB_STALL_READS)
				return 0;
			continue;
		}
		stalled = 0;
		elapsed += d;
		prev = now;
	}
	return calib_rate(c->tsc() - start, elapsed, c->hz);
}

uint32_t calib_ppm(uint64_t a, uint64_t b)
{
	uint64_t diff = a > b ? a - b : b - a;
	if (!b || diff > UINT64_MAX / 1000000)
		return UINT32_MAX;
	uint64_t ppm = diff * 1000000 / b;
	return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

struct calib_measure calib_median(uint64_t *rates, unsigned n)
{
	struct calib_measure m = { .windows = n };
	if (!n)
		return m;
	for (unsigned i = 1; i < n; i++) /* insertion sort: n is a handful */
		for (unsigned j = i; j > 0 && rates[j - 1] > rates[j]; j--) {
			uint64_t t = rates[j];
			rates[j] = rates[j - 1];
			rates[j - 1] = t;
		}
	uint64_t median = rates[n / 2];
	for (unsigned i = 0; i < n; i++)
		if (calib_ppm(rates[i], median) > CALIB_OUTLIER_PPM)
			m.outliers++;
	/* Most windows must agree: one SMI skews one window, not the figure. */
	if (median && 2 * (n - m.outliers) > n)
		m.hz = median;
	return m;
}

struct calib_measure calib_measure(const struct calib_counter *c, uint32_t ticks)
{
	uint64_t rates[CALIB_WINDOWS];
	unsigned n = 0;
	while (n < CALIB_WINDOWS) {
		uint64_t hz = calib_window(c, ticks);
		if (!hz)
			return (struct calib_measure){ .windows = n };
		rates[n++] = hz;
	}
	return calib_median(rates, n);
}

/* Family-6 models with ECX = 0 in CPUID 0x15 whose crystal the SDM lists (Vol. 3B, "Determining
 * the Processor Base Frequency"). Not 06_55H (Xeon Scalable, and Bochs's Skylake-X): its
 * listed 25 MHz does not give its TSC's rate exactly, so that one is measured. */
static uint32_t known_crystal_hz(uint32_t model)
{
	switch (model) {
	case 0x4e: /* Skylake client */
	case 0x5e:
	case 0x8e: /* Kaby Lake, Coffee Lake */
	case 0x9e:
		return 24000000;
	case 0x5f: /* Atom Denverton (Goldmont D) */
		return 25000000;
	case 0x5c: /* Atom Apollo Lake (Goldmont) */
		return 19200000;
	}
	return 0;
}

uint64_t calib_cpuid15_hz(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t signature)
{
	if (!eax || !ebx)
		return 0; /* the ratio is not enumerated */
	uint32_t family = (signature >> 8) & 0xf;
	uint32_t model = ((signature >> 4) & 0xf) | ((signature >> 12) & 0xf0);
	uint64_t crystal = ecx ? ecx : family == 6 ? known_crystal_hz(model) : 0;
	return crystal * ebx / eax;
}

uint64_t calib_cpuid16_hz(uint32_t eax)
{
	return (uint64_t)(eax & 0xffff) * 1000000;
}

const char *calib_source_name(enum calib_source s)
{
	static const char *const names[] = {
		[CALIB_NONE] = "nothing",
		[CALIB_CPUID15] = "CPUID 0x15",
		[CALIB_PM_TIMER] = "the ACPI PM timer",
		[CALIB_PIT] = "the PIT",
		[CALIB_CPUID16] = "CPUID 0x16",
	};
	return names[s];
}

struct calib_choice calib_choose(uint64_t cpuid15, uint64_t pm_timer, uint64_t pit,
				 uint64_t cpuid16)
{
	const struct {
		enum calib_source source;
		uint64_t hz;
	} in_order[] = { { CALIB_CPUID15, cpuid15 },
			 { CALIB_PM_TIMER, pm_timer },
			 { CALIB_PIT, pit },
			 { CALIB_CPUID16, cpuid16 } };
	struct calib_choice c = { 0 };
	for (unsigned i = 0; i < 4; i++) {
		if (!in_order[i].hz)
			continue;
		if (c.source == CALIB_NONE) {
			c.source = in_order[i].source;
			c.hz = in_order[i].hz;
		} else if (c.check == CALIB_NONE) {
			c.check = in_order[i].source;
			c.check_hz = in_order[i].hz;
		}
	}
	if (c.check == CALIB_NONE)
		return c;
	c.ppm = calib_ppm(c.check_hz, c.hz);
	c.warn = c.ppm > CALIB_WARN_PPM;
	bool check_measured = c.check == CALIB_PM_TIMER || c.check == CALIB_PIT;
	if (c.source == CALIB_CPUID15 && check_measured && c.ppm > CALIB_TRUST_PPM) {
		c.cpuid_overruled = true;
		c.source = c.check;
		c.check = CALIB_CPUID15;
		uint64_t t = c.hz;
		c.hz = c.check_hz;
		c.check_hz = t;
		c.ppm = calib_ppm(c.check_hz, c.hz);
	}
	return c;
}
