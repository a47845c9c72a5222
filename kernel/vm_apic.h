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

/* An edge on ISA interrupt line `irq` of the VM's board: its 8259 and, where it has one, its
 * IOAPIC (IRQ 0 on pin 2, as the MADT's override says; the others on their own pin). */
void vm_isa_irq(struct vm *vm, unsigned irq);
/* The IOAPIC of a kind=linux VM with several vCPUs, at power-on, on the VM's MMIO bus. */
void vm_ioapic_attach(struct vm *vm);
void vm_ioapic_reset(struct vm *vm);

#endif
