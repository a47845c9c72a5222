/*
 * How fast the TSC runs: the arithmetic of kernel/time.c's calibration, pure and unit-tested.
 * A reference counter (the PM timer, the PIT) is read through function pointers, so a test
 * can hand it a counter that never moves, wraps, or jumps as an SMI would make it.
 */
#ifndef KAN_KERNEL_CALIBRATE_H
#define KAN_KERNEL_CALIBRATE_H

#include <stdbool.h>
#include <stdint.h>

/* A counter of known frequency that kan can read but not stop. */
struct calib_counter {
	uint32_t (*read)(void);
	uint64_t (*tsc)(void);
	uint32_t mask; /* its width: 0xffff (PIT), 0xffffff or 0xffffffff (PM timer) */
	bool counts_down;
	uint64_t hz;
};

/* Reads in a row without a change after which the counter is taken for dead. Each read is a
 * port access or three, about a microsecond on hardware: a few milliseconds in all. */
#define CALIB_STALL_READS 2000
#define CALIB_WINDOWS	  5
/* A window further than this from the median is an outlier (an SMI, a stalled read). */
#define CALIB_OUTLIER_PPM 2000
/* Sources further apart than this: a warning. CPUID's figure further than TRUST_PPM from what
 * a timer measured is not used: the platform's timers are what kan's slices and guests see
 * (an emulator states one rate and runs another). */
#define CALIB_WARN_PPM	5000
#define CALIB_TRUST_PPM 10000

/* Ticks from `from` to `to`, modulo the counter's width. */
uint32_t calib_delta(const struct calib_counter *c, uint32_t from, uint32_t to);
/* tsc_ticks per ref_ticks of a ref_hz counter, in Hz; 0 if ref_ticks is 0. */
uint64_t calib_rate(uint64_t tsc_ticks, uint64_t ref_ticks, uint64_t ref_hz);
/* One window from one change of the counter to `ticks` of it later: the TSC's rate, or 0 when
 * the counter stopped for CALIB_STALL_READS reads. */
uint64_t calib_window(const struct calib_counter *c, uint32_t ticks);

struct calib_measure {
	uint64_t hz;	   /* the median window, or 0: the counter is dead or the windows scatter */
	unsigned windows;  /* measured */
	unsigned outliers; /* further than CALIB_OUTLIER_PPM from the median */
};
/* The median of n rates (sorted in place), with the outliers counted; 0 unless most agree. */
struct calib_measure calib_median(uint64_t *rates, unsigned n);
/* CALIB_WINDOWS windows of `ticks` each; stops at the first dead one. */
struct calib_measure calib_measure(const struct calib_counter *c, uint32_t ticks);

/* |a - b| in parts per million of b (saturating). */
uint32_t calib_ppm(uint64_t a, uint64_t b);

/* CPUID 0x15 (TSC/crystal ratio EBX/EAX, crystal Hz in ECX): the TSC's rate, or 0. ECX = 0
 * names no crystal; for the family-6 models whose crystal the SDM lists, that one is used. */
uint64_t calib_cpuid15_hz(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t signature);
/* CPUID 0x16 EAX: the base frequency in MHz, nominal: a cross-check only. */
uint64_t calib_cpuid16_hz(uint32_t eax);

enum calib_source { CALIB_NONE, CALIB_CPUID15, CALIB_PM_TIMER, CALIB_PIT, CALIB_CPUID16 };
const char *calib_source_name(enum calib_source s);

struct calib_choice {
	enum calib_source source, check; /* what sets the rate, what it was compared with */
	uint64_t hz, check_hz;
	uint32_t ppm;	      /* between them */
	bool cpuid_overruled; /* CPUID 0x15 disagreed with a timer by more than TRUST_PPM */
	bool warn;	      /* further apart than WARN_PPM */
};
/* Which figure kan uses: CPUID 0x15, else the PM timer, else the PIT, else CPUID 0x16 (a
 * nominal figure); the next available one checks it. 0 in a field: that source gave nothing. */
struct calib_choice calib_choose(uint64_t cpuid15, uint64_t pm_timer, uint64_t pit,
				 uint64_t cpuid16);

#endif
