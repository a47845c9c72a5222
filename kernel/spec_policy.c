/*
 * Side-channel policy between VMs (docs/security.md, "Speculative execution"):
 * - IBPB whenever a CPU switches to a vCPU of another VM, so one VM cannot train the branch
 *   predictors another VM then uses (Spectre v2 across VMs).
 * - L1D flush before entering a guest from the scheduler, where the CPU is affected by L1TF
 *   and says the flush is needed (no RDCL_NO, no SKIP_L1DFL_VMENTRY); the flush also clears
 *   the buffers MDS samples from.
 * - VERW to clear CPU buffers at the same points where the CPU is affected by MDS/TAA, has
 *   MD_CLEAR, and no L1D flush already does it.
 * AMD's (and Hygon's) CPUs are affected by neither L1TF nor MDS: there, only IBPB, which
 * they announce in CPUID 0x80000008:EBX.
 * Guests get no speculation controls (CPUID hides SPEC_CTRL, the MSRs #GP); a guest protects
 * its own user/kernel boundary in software.
 */
#include "kernel/spec_policy.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "kernel/console.h"

struct spec_policy spec_policy;

struct spec_policy spec_policy_decide(const struct spec_cpu *cpu)
{
	struct spec_policy p = { 0 };
	uint64_t caps =
		cpu->cpuid7_edx & CPUID_7_EDX_ARCH_CAPABILITIES ? cpu->arch_capabilities : 0;
	p.ibpb_on_vm_switch = (cpu->cpuid7_edx & CPUID_7_EDX_IBRS_IBPB) ||
			      (cpu->cpuid_80000008_ebx & CPUID_80000008_EBX_IBPB);
	if (cpu->amd)
		return p;
	bool l1tf = !(caps & ARCH_CAP_RDCL_NO);
	if (l1tf && !(caps & ARCH_CAP_SKIP_L1DFL_VMENTRY)) {
		p.l1d_flush_on_entry = cpu->cpuid7_edx & CPUID_7_EDX_L1D_FLUSH;
		p.l1tf_unmitigated = !p.l1d_flush_on_entry;
	}
	bool mds = !(caps & ARCH_CAP_MDS_NO) || !(caps & ARCH_CAP_TAA_NO);
	if (mds && !p.l1d_flush_on_entry && !(caps & ARCH_CAP_SKIP_L1DFL_VMENTRY)) {
		p.verw_on_entry = cpu->cpuid7_edx & CPUID_7_EDX_MD_CLEAR;
		p.mds_unmitigated = !p.verw_on_entry;
	}
	return p;
}

void spec_policy_init(void)
{
	struct spec_cpu cpu = { .amd = cpu_is_amd() };
	if (cpuid(0, 0).eax >= 7)
		cpu.cpuid7_edx = cpuid(7, 0).edx;
	if (cpuid(0x80000000, 0).eax >= 0x80000008)
		cpu.cpuid_80000008_ebx = cpuid(0x80000008, 0).ebx;
	if (cpu.cpuid7_edx & CPUID_7_EDX_ARCH_CAPABILITIES)
		cpu.arch_capabilities = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	spec_policy = spec_policy_decide(&cpu);
	struct spec_policy *p = &spec_policy;
	printk("kan: side channels: IBPB between VMs %s, L1D flush %s, VERW %s\n",
	       p->ibpb_on_vm_switch ? "on" : "unavailable",
	       p->l1d_flush_on_entry ? "on"
	       : p->l1tf_unmitigated ? "NEEDED BUT UNAVAILABLE"
				     : "not needed",
	       p->verw_on_entry	    ? "on"
	       : p->mds_unmitigated ? "NEEDED BUT UNAVAILABLE"
				    : "not needed");
}

void spec_on_vm_switch(void)
{
	if (spec_policy.ibpb_on_vm_switch)
		wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

void spec_before_entry(void)
{
	if (spec_policy.l1d_flush_on_entry)
		wrmsr(MSR_IA32_FLUSH_CMD, FLUSH_CMD_L1D);
	else if (spec_policy.verw_on_entry) {
		uint16_t ds = SEL_KERNEL_DATA; /* VERW's memory form clears the buffers */
		__asm__ volatile("verw %0" ::"m"(ds) : "cc");
	}
}
