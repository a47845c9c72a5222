#include "kernel/time.h"
#include "arch/x86_64/cpu.h"
#include "drivers/acpi.h"
#include "drivers/pit.h"
#include "drivers/pm_timer.h"
#include "drivers/rtc.h"
#include "kernel/calibrate.h"
#include "kernel/console.h"

#define WINDOW_MS 10

static uint64_t tsc_hz;
static uint64_t boot_tsc;
static uint64_t boot_wall_seconds, wall_tsc; /* the RTC's time, and the TSC when read */

static uint64_t read_tsc(void)
{
	return rdtsc();
}

static struct calib_measure measure_pm_timer(const struct fadt_info *fadt)
{
	if (!pm_timer_init(fadt))
		return (struct calib_measure){ 0 };
	struct calib_counter c = {
		.read = pm_timer_read, .tsc = read_tsc, .mask = pm_timer_mask(), .hz = PM_TIMER_HZ
	};
	return calib_measure(&c, PM_TIMER_HZ / 1000 * WINDOW_MS);
}

static struct calib_measure measure_pit(void)
{
	struct calib_counter c = { .read = pit_channel2_read,
				   .tsc = read_tsc,
				   .mask = 0xffff,
				   .counts_down = true,
				   .hz = PIT_HZ };
	pit_channel2_start();
	struct calib_measure m = calib_measure(&c, PIT_HZ / 1000 * WINDOW_MS);
	pit_channel2_stop();
	return m;
}

/* CPUID 0x15's figure (0 without one), and 0x16's in *base_hz. */
static uint64_t cpuid_tsc_hz(uint64_t *base_hz)
{
	uint32_t max = cpuid(0, 0).eax, signature = cpuid(1, 0).eax;
	struct cpuid_regs r15 = max >= 0x15 ? cpuid(0x15, 0) : (struct cpuid_regs){ 0 };
	*base_hz = max >= 0x16 ? calib_cpuid16_hz(cpuid(0x16, 0).eax) : 0;
	return calib_cpuid15_hz(r15.eax, r15.ebx, r15.ecx, signature);
}

static void calibrate(const struct fadt_info *fadt)
{
	uint64_t base_hz, cpuid_hz = cpuid_tsc_hz(&base_hz);
	struct calib_measure pm = measure_pm_timer(fadt), pit = measure_pit();
	struct calib_choice c = calib_choose(cpuid_hz, pm.hz, pit.hz, base_hz);
	if (c.source == CALIB_NONE) {
		tsc_hz = 1000000000ull; /* nothing counted: assume 1 GHz so slices still work */
		printk("kan: time: no PM timer, the PIT did not count, CPUID states no rate; "
		       "assuming a 1 GHz TSC\n");
		return;
	}
	tsc_hz = c.hz;
	const struct calib_measure *m = c.source == CALIB_PM_TIMER ? &pm
					: c.source == CALIB_PIT	   ? &pit
								   : NULL;
	printk("kan: time: TSC runs at %lu kHz by %s", tsc_hz / 1000, calib_source_name(c.source));
	if (m)
		printk(" (median of %u windows of %d ms, %u outliers)", m->windows, WINDOW_MS,
		       m->outliers);
	if (c.check != CALIB_NONE)
		printk("; %s says %lu kHz: %u ppm apart", calib_source_name(c.check),
		       c.check_hz / 1000, c.ppm);
	else
		printk("; nothing to check it against");
	printk("\n");
	if (c.cpuid_overruled)
		printk("kan: time: WARNING: CPUID 0x15 states a rate the platform's timers do not "
		       "see (an emulator?): kan uses %s's\n",
		       calib_source_name(c.source));
	else if (c.warn)
		printk("kan: time: WARNING: the two figures are %u ppm apart: slices and guests' "
		       "clocks may be off by as much\n",
		       c.ppm);
}

static void read_wall_clock(const struct fadt_info *fadt)
{
	struct calendar_time t;
	if (fadt->present && (fadt->boot_arch & FADT_BOOT_NO_CMOS_RTC)) {
		printk("kan: time: the FADT says there is no CMOS RTC; VMs' clocks start at "
		       "1970\n");
		return;
	}
	if (!rtc_read(&t, tsc_hz)) {
		printk("kan: time: the RTC could not be read; VMs' clocks start at 1970\n");
		return;
	}
	wall_tsc = rdtsc();
	boot_wall_seconds = calendar_to_seconds(&t);
	printk("kan: time: the RTC says %u-%02u-%02u %02u:%02u:%02u (taken as UTC)\n", t.year,
	       t.month, t.day, t.hour, t.minute, t.second);
}

void time_init(void)
{
	boot_tsc = rdtsc();
	struct fadt_info fadt;
	acpi_read_fadt(&fadt);
	calibrate(&fadt);
	read_wall_clock(&fadt);
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
