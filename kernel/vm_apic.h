/*
 * The local APICs of a VM with several vCPUs, wired together: what one vCPU's ICR sends
 * reaches the others (fixed, lowest priority, NMI, INIT, start-up), and a new interrupt for
 * a vCPU on another CPU makes that CPU look (sched_notify). The APICs are device models
 * (kernel/devices/vlapic.c) reached from every CPU that runs one of the VM's vCPUs: all of
 * this runs under the VM's device lock.
 */
#ifndef KAN_KERNEL_VM_APIC_H
#define KAN_KERNEL_VM_APIC_H

#include "kernel/vm.h"

/* Each vCPU's local APIC at power-on: vCPU i has APIC ID i, vCPU 0 is the bootstrap one. */
void vm_apic_reset(struct vm *vm);
/* Delivers `msg` from `from` (NULL: not a local APIC) to the vCPUs it names. */
void vm_apic_deliver(struct vm *vm, const struct vlapic *from, const struct apic_msg *msg);

#endif
