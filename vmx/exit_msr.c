/*
 * RDMSR/WRMSR: every MSR access exits and kernel/msr_policy.c decides. The guest-state MSRs
 * live in VMCS fields that VT-x switches on entry and exit.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/msr_policy.h"
#include "kernel/vintr.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

static enum exit_action refuse(struct vcpu *vcpu)
{
	vcpu->vm->msr_refused++;
	vmx_inject_exception(VECTOR_GP, true, 0);
	return EXIT_RESUME;
}

/* The VMCS field holding a guest-state MSR, or 0 if this CPU does not switch it. */
static enum vmcs_field msr_field(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:
		return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:
		return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:
		return GUEST_SYSENTER_EIP;
	case MSR_IA32_FS_BASE:
		return GUEST_FS_BASE;
	case MSR_IA32_GS_BASE:
		return GUEST_GS_BASE;
	case MSR_IA32_EFER:
		return GUEST_IA32_EFER;
	case MSR_IA32_PAT:
		return vmx_controls.entry & ENTRY_LOAD_IA32_PAT ? GUEST_IA32_PAT : 0;
	default:
		return 0;
	}
}

/* The local APIC's MSRs: its device model answers (kernel/vintr.h). */
static enum exit_action apic_msr(struct vcpu *vcpu, uint32_t msr, bool write)
{
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	if (vintr_msr(vcpu, msr, write, &value))
		return refuse(vcpu);
	if (!write) {
		vcpu->regs.rax = (uint32_t)value;
		vcpu->regs.rdx = value >> 32;
	}
	vmx_skip_instruction();
	return vcpu_wants_cpu_back(vcpu) ? EXIT_STOP : EXIT_RESUME;
}

enum exit_action vmx_exit_msr_read(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.rcx;
	uint64_t value;
	if (__builtin_expect(vintr_msr_owned(vcpu, msr), 0))
		return apic_msr(vcpu, msr, false);
	switch (msr_policy(msr, false)) {
	case MSR_GUEST_STATE:
		if (vmx_lazy_msr_index(msr) >= 0)
			value = rdmsr(msr); /* the hardware holds this vCPU's value */
		else if (msr_field(msr))
			value = vmcs_read(msr_field(msr));
		else
			return refuse(vcpu);
		break;
	case MSR_EMULATED:
		value = msr_emulated_read(vcpu, msr);
		break;
	default:
		return refuse(vcpu);
	}
	vcpu->regs.rax = (uint32_t)value;
	vcpu->regs.rdx = value >> 32;
	vmx_skip_instruction();
	return EXIT_RESUME;
}

enum exit_action vmx_exit_msr_write(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.rcx;
	if (__builtin_expect(vintr_msr_owned(vcpu, msr), 0))
		return apic_msr(vcpu, msr, true);
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	enum vmcs_field field = msr_field(msr);
	int lazy = vmx_lazy_msr_index(msr);
	if (msr_policy(msr, true) != MSR_GUEST_STATE || (!field && lazy < 0))
		return refuse(vcpu);
	if (lazy >= 0) {
		/* This vCPU's until another runs here (vmx_switch_owner). The policy checks the
		 * value; should the CPU still refuse it, that is the guest's #GP, not kan's. */
		if (!msr_value_valid(msr, value, 0, false) || !wrmsr_safe(msr, value))
			return refuse(vcpu);
		((struct vmx_vcpu *)vcpu->backend)->lazy_msr[lazy] = value; /* vmx_switch_owner */
		vmx_skip_instruction();
		return EXIT_RESUME;
	}
	uint64_t old = vmcs_read(field);
	bool paging = vmcs_read(CR0_READ_SHADOW) & CR0_PG;
	if (!msr_value_valid(msr, value, old, paging))
		return refuse(vcpu);
	if (msr == MSR_IA32_EFER)
		value = (value & ~EFER_LMA) | (old & EFER_LMA);
	vmcs_write(field, value);
	vmx_skip_instruction();
	return EXIT_RESUME;
}
