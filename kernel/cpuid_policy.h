/* What a guest learns from CPUID: the host's answer, edited to describe the VM, not the host. */
#ifndef KAN_KERNEL_CPUID_POLICY_H
#define KAN_KERNEL_CPUID_POLICY_H

#include "arch/x86_64/cpu.h"
#include "kernel/vm.h"

#define KAN_CPUID_SIGNATURE_LEAF 0x40000000u

/* Answers the guest's CPUID: leaf and subleaf from its RAX and RCX, result into RAX-RDX. */
void cpuid_policy_apply(struct guest_regs *regs);

#endif
