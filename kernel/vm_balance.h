/* balance=on on kan's line: CPU 0 evens out the CPUs' load by moving vCPUs (vm_balance.c). */
#ifndef KAN_KERNEL_VM_BALANCE_H
#define KAN_KERNEL_VM_BALANCE_H

#include <stdbool.h>

/* Once, at boot, for balance=on. */
void vm_balance_start(void);
/* From CPU 0's loop, every pass: with balance=on, looks about once a second (vm_balance_look)
 * and moves at most one vCPU. */
void vm_balance_look(void);
extern bool vm_balance_enabled;
static inline void vm_balance_tick(void)
{
	if (vm_balance_enabled) /* one load and a branch per pass of CPU 0's loop when off */
		vm_balance_look();
}

#endif
