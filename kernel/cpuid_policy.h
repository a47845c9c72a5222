/* What a guest learns from CPUID: the host's answer, edited to describe the VM, not the host. */
#ifndef KAN_KERNEL_CPUID_POLICY_H
#define KAN_KERNEL_CPUID_POLICY_H

#include "arch/x86_64/cpu.h"
#include "kernel/vm.h"

#define KAN_CPUID_SIGNATURE_LEAF 0x40000000u

struct cpuid_regs cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf);

#endif
