/* The SMP guest's BSP: sets itself up, starts the APs, then runs each test in turn and ends
 * with "smp: PASS ..." or the first "smp: FAIL ...". */
#include "smp.h"

#define DEFAULT_IPIS	  10000
#define DEFAULT_PERIODS	  200
#define DEFAULT_PERIOD_US 20000 /* two of kan's default slices: a late tick is not a lost one */

struct smp_cpu smp_cpus[SMP_MAX_CPUS];
unsigned smp_ncpus;
int smp_under_kan;
uint64_t smp_tsc_per_ms;
uint64_t smp_break;
uint64_t smp_periods, smp_period_us, smp_tolerance;

static int kan_is_there(void)
{
	uint32_t a, b, c, d;
	guest_cpuid(0x40000000, &a, &b, &c, &d);
	/* "KanKanKanKan" in EBX, ECX, EDX */
	return b == 0x4b6e614b && c == 0x614b6e61 && d == 0x6e614b6e;
}

/* Every CPU to x2APIC, the APs first: each switches its own APIC. */
static int all_to_x2apic(void)
{
	if (!(cpuid1_ecx() & CPUID1_ECX_X2APIC)) {
		if (smp_under_kan)
			smp_fail("kan offers no x2APIC (CPUID.1:ECX[21])");
		smp_say("smp: x2APIC: skipped, this CPU has none (CPUID.1:ECX[21] clear)\n");
		return 0;
	}
	for (unsigned i = 1; i < smp_ncpus; i++)
		smp_command(&smp_cpus[i], CMD_X2APIC);
	smp_watchdog_stop();
	smp_self()->step = "switching to x2APIC";
	apic_to_x2apic();
	if (apic_read_id() != 0)
		smp_fail("cpu 0: x2APIC ID %u", apic_read_id());
	apic_enable();
	smp_watchdog_start();
	smp_say("smp: x2APIC: all %u cpus switched (IA32_APIC_BASE.EXTD)\n", smp_ncpus);
	return 1;
}

int64_t guest_main(const struct kan_start_info *info)
{
	struct smp_cpu *bsp = &smp_cpus[0];
	smp_under_kan = kan_is_there();
	smp_idt_init();
	smp_cpu_setup(bsp);
	smp_ipi_handlers_install();
	smp_calibrate_tsc();
	smp_ncpus = info->vcpus ? info->vcpus : 1;
	smp_break = guest_arg(info, "break", 0);
	smp_periods = guest_arg(info, "periods", DEFAULT_PERIODS);
	smp_period_us = guest_arg(info, "period_us", DEFAULT_PERIOD_US);
	smp_tolerance = guest_arg(info, "tolerance", 2);
	uint64_t ipis = guest_arg(info, "ipis", DEFAULT_IPIS);
	uint64_t timer_cost = guest_arg(info, "timercost", 0);
	smp_say("smp: bsp apic id %u, %u vcpus, %s, TSC %lu kHz\n", bsp->apic_id, smp_ncpus,
		smp_under_kan ? "under kan" : "bare (no kan)", smp_tsc_per_ms);
	if (smp_break)
		smp_say("smp: break=%lu: a deliberate bug is on, this run must fail\n", smp_break);
	if (smp_ncpus < 2 || smp_ncpus > SMP_MAX_CPUS)
		smp_fail("%u vcpus: this guest needs 2 to %u", smp_ncpus, SMP_MAX_CPUS);
	/* hold_ms=N: N ms before the APs are started, for a test to look at them waiting. */
	uint64_t hold_ms = guest_arg(info, "hold_ms", 0);
	if (hold_ms) {
		smp_say("smp: holding %lu ms before starting the APs\n", hold_ms);
		smp_spin_ticks(smp_ms(hold_ms));
	}

	if (timer_cost) /* before the APs start: the BSP alone */
		smp_timer_cost("xAPIC");
	smp_watchdog_start();
	__asm__ volatile("sti");
	smp_start_aps();
	smp_say("smp: all %u cpus up\n", smp_ncpus);

	smp_ping_pong("xAPIC", ipis);
	smp_watchdog_stop();
	smp_timer_tests(bsp);
	smp_watchdog_start();
	int x2apic = all_to_x2apic();
	if (x2apic && timer_cost) { /* the APs halted, their timers off */
		smp_watchdog_stop();
		smp_timer_cost("x2APIC");
		smp_watchdog_start();
	}
	if (x2apic)
		smp_ping_pong("x2APIC", ipis);
	smp_command(&smp_cpus[1], CMD_TIMERS);
	int deadline = !!(cpuid1_ecx() & CPUID1_ECX_TSC_DL);

	for (unsigned i = 1; i < smp_ncpus; i++)
		smp_command(&smp_cpus[i], CMD_CHECK);
	if (!smp_sse_check(0))
		smp_fail("cpu 0: XMM15 lost the value it was given at start-up");
	uint64_t spurious = 0;
	for (unsigned i = 0; i < smp_ncpus; i++)
		spurious += smp_cpus[i].spurious;
	/* Under 200 bytes: kan splits longer lines. */
	smp_say("smp: PASS %u cpus by INIT-SIPI-SIPI, %lu IPI round trips per AP in xAPIC%s mode, "
		"timers one-shot, periodic%s on cpus 0 and 1, SSE kept, %lu spurious\n",
		smp_ncpus, ipis, x2apic ? " and x2APIC" : "", deadline ? " and TSC-deadline" : "",
		spurious);
	smp_exit(0);
}
