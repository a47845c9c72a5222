#include "kernel/time.h"
#include "arch/x86_64/cpu.h"
#include "drivers/pit.h"
#include "drivers/rtc.h"
#include "kernel/console.h"

static uint64_t tsc_hz;
static uint64_t boot_tsc;
static uint64_t boot_wall_seconds, wall_tsc; /* the RTC's time, and the TSC when read */

void time_init(void)
{
	boot_tsc = rdtsc();
	tsc_hz = pit_measure_tsc_hz();
	if (tsc_hz == 0) {
		tsc_hz = 1000000000ull; /* no PIT: assume 1 GHz so slices still work */
		printk("kan: time: the PIT did not count; assuming a 1 GHz TSC\n");
	}
	printk("kan: time: TSC runs at %lu kHz\n", tsc_hz / 1000);
	struct calendar_time t;
	if (rtc_read(&t)) {
		wall_tsc = rdtsc();
		boot_wall_seconds = calendar_to_seconds(&t);
		printk("kan: time: the RTC says %u-%02u-%02u %02u:%02u:%02u (taken as UTC)\n",
		       t.year, t.month, t.day, t.hour, t.minute, t.second);
	} else {
		printk("kan: time: the RTC could not be read; VMs' clocks start at 1970\n");
	}
}

uint64_t time_wall_seconds(void)
{
	return boot_wall_seconds ? boot_wall_seconds + (rdtsc() - wall_tsc) / tsc_hz : 0;
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t time_us_to_tsc(uint64_t us)
{
	return us * (tsc_hz / 1000) / 1000;
}

uint64_t time_tsc_to_us(uint64_t tsc)
{
	return tsc / (tsc_hz / 1000000 ? tsc_hz / 1000000 : 1);
}

uint64_t time_now_ns(void)
{
	uint64_t t = rdtsc() - boot_tsc;
	/* Split to avoid overflow for long uptimes. */
	return t / tsc_hz * 1000000000ull + t % tsc_hz * 1000000000ull / tsc_hz;
}
