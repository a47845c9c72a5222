/* kan attacks itself on purpose (selftest= on its command line), to prove its protection and
 * its reports. Every test but the hooks' ones ends the run with kan's crash report. */
#ifndef KAN_KERNEL_SELFTEST_H
#define KAN_KERNEL_SELFTEST_H

#include "kernel/vm_config.h"

/* Right after kan's command line is read, before its page tables (the NX hooks). */
void selftest_early(enum kan_selftest test);
/* Once booted, with every CPU started and before VT-x is on. */
void selftest_run(enum kan_selftest test);
/* The test on kan's command line, for the hooks later in the run. The hooks sit on the
 * scheduler's and the VM entry's paths, so in a run without a test each costs one compare. */
extern enum kan_selftest selftest_chosen;
static inline enum kan_selftest selftest_active(void)
{
	return selftest_chosen;
}
/* selftest=nmi: cpu 0 sends its NMIs from here. */
void selftest_nmi_tick(unsigned cpu);
/* selftest=host-nmi: likewise. */
void selftest_host_nmi_tick(unsigned cpu);
/* Each turn of a CPU's scheduler loop. */
static inline void selftest_tick(unsigned cpu)
{
	if (selftest_chosen == SELFTEST_NMI)
		selftest_nmi_tick(cpu);
	else if (selftest_chosen == SELFTEST_HOST_NMI)
		selftest_host_nmi_tick(cpu);
}

#endif
