/* Bringing up every CPU the ACPI MADT lists, in two steps the boot CPU leads. */
#ifndef KAN_KERNEL_CPUS_H
#define KAN_KERNEL_CPUS_H

#include "drivers/acpi.h"

/* Starts the application processors the MADT lists (NULL: none); each reports in and waits.
 * Returns how many CPUs run. */
unsigned cpus_start(const struct madt_info *madt);
/* How many CPUs run (cpus_start's answer). */
unsigned cpus_running(void);
/* Each AP, while it waits to turn VT-x on, calls `errand` once with its index (self-tests). */
void cpus_send_errand(void (*errand)(unsigned index));
/* Every CPU turns VT-x on; returns when all have tried. The present mask then holds those
 * that succeeded. */
void cpus_enable_virtualization(void);
/* Lets every CPU into its scheduler loop. */
void cpus_release_schedulers(void);
/* The machine's end, on the CPU that calls kan_shutdown: every other CPU is sent an NMI that
 * makes it leave virtualization and halt; then this one leaves it too. A second CPU that
 * calls it meanwhile only stops itself. */
void cpus_end(void);
/* One line per CPU: left VMX, was not in it, or did not answer. */
void cpus_report_end(void);

#endif
