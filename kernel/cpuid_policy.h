/* What a guest learns from CPUID: the host's answer, edited to describe the VM, not the host. */
#ifndef KAN_KERNEL_CPUID_POLICY_H
#define KAN_KERNEL_CPUID_POLICY_H

#include "arch/x86_64/cpu.h"
#include "kernel/vm.h"

#define KAN_CPUID_SIGNATURE_LEAF 0x40000000u

/* Answers the vCPU's CPUID: leaf and subleaf from its RAX and RCX, result into RAX-RDX.
 * OSXSAVE and leaf 0xD's current size follow the vCPU's CR4 and XCR0. */
void cpuid_policy_apply(struct vcpu *vcpu);
/* The CR4 bits a guest may set, by what its CPUID offers (before the CPU's own limits). */
uint64_t cpuid_policy_cr4_allowed(void);

#endif
