/* What kan tells its user about the VMs: the end-of-run table. */
#ifndef KAN_KERNEL_REPORT_H
#define KAN_KERNEL_REPORT_H

#include "kernel/vm.h"

/* Per VM: state, end status or stop reason, CPU time, VM exits by reason. */
void report_vm_table(void);
/* One VM's exits by reason, and what kan refused it. */
void report_vm_exits(const struct vm *vm);

#endif
