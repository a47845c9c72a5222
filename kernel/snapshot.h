/* Snapshots: a VM's RAM, vCPU and device state copied into kan's memory while it is held
 * between two slices, and new VMs started from such a copy, continuing where it was. */
#ifndef KAN_KERNEL_SNAPSHOT_H
#define KAN_KERNEL_SNAPSHOT_H

#include "kernel/vm.h"

/* The shell's commands; each prints its result or its refusal (naming what) in one line.
 * `options`: "[as SNAP]" for a snapshot, "as NAME [key=value..]" for a restore. */
void snapshot_take(struct vm *vm, const char *options);
void snapshot_restore(const char *snapshot, const char *options);
void snapshot_forget(const char *snapshot);
/* vm list's lines for the snapshots, if any. */
void snapshot_list(void);

#endif
