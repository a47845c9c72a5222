/* kan attacks itself on purpose (selftest= on its command line), to prove its protection and
 * its reports. Every test but the hooks' ones ends the run with kan's crash report. */
#ifndef KAN_KERNEL_SELFTEST_H
#define KAN_KERNEL_SELFTEST_H

#include "kernel/vm_config.h"

/* Once booted, with every CPU started and before VT-x is on. */
void selftest_run(enum kan_selftest test);
/* The test on kan's command line, for the hooks later in the run. */
enum kan_selftest selftest_active(void);
/* Each turn of a CPU's scheduler loop (selftest=nmi sends its NMIs from cpu 0's). */
void selftest_tick(unsigned cpu);

#endif
