/* What kan tells its user about the VMs: the end-of-run table. */
#ifndef KAN_KERNEL_REPORT_H
#define KAN_KERNEL_REPORT_H

/* Per VM: state, end status or stop reason, CPU time, VM exits by reason. */
void report_vm_table(void);

#endif
