#include "kernel/cpuid_policy.h"

/* CPUID.1:ECX bits (Intel SDM Vol. 2A, Table 3-10). */
#define ECX_MONITOR    (1u << 3)
#define ECX_VMX        (1u << 5)
#define ECX_SMX        (1u << 6)
#define ECX_XSAVE      (1u << 26)
#define ECX_OSXSAVE    (1u << 27)
#define ECX_AVX        (1u << 28)
#define ECX_HYPERVISOR (1u << 31)

struct cpuid_regs cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf)
{
	(void)vcpu;
	if (leaf == KAN_CPUID_SIGNATURE_LEAF)
		/* The highest hypervisor leaf, then "KanKanKanKan" in EBX, ECX, EDX. */
		return (struct cpuid_regs){KAN_CPUID_SIGNATURE_LEAF, 0x4b6e614b, 0x614b6e61,
					   0x6e614b6e};
	if (leaf > KAN_CPUID_SIGNATURE_LEAF && leaf < 0x80000000u)
		return (struct cpuid_regs){0, 0, 0, 0};
	struct cpuid_regs r = cpuid(leaf, subleaf);
	if (leaf == 1) {
		/* No VMX or SMX to nest; MONITOR/MWAIT and XSAVE state are not virtualized yet. */
		r.ecx &= ~(ECX_MONITOR | ECX_VMX | ECX_SMX | ECX_XSAVE | ECX_OSXSAVE | ECX_AVX);
		r.ecx |= ECX_HYPERVISOR;
	}
	return r;
}
