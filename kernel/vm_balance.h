/* balance=on on kan's line: CPU 0 evens out the CPUs' load by moving vCPUs (vm_balance.c). */
#ifndef KAN_KERNEL_VM_BALANCE_H
#define KAN_KERNEL_VM_BALANCE_H

/* Once, at boot, for balance=on. */
void vm_balance_start(void);
/* From CPU 0's loop, every pass: looks about once a second, and moves at most one vCPU. */
void vm_balance_tick(void);

#endif
