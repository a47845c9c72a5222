/*
 * RDMSR/WRMSR: every MSR access exits (the MSRPM is all ones) and kernel/msr_policy.c decides.
 * The guest-state MSRs live in the VMCB: VMRUN switches EFER and PAT, VMLOAD/VMSAVE the
 * segment bases and the SYSCALL/SYSENTER MSRs; TSC_AUX is kept per vCPU (svm_run.c).
 */
#include "arch/x86_64/cpu.h"
#include "kernel/msr_policy.h"
#include "kernel/vintr.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

#define VECTOR_GP 13
#define LEN_MSR	  2

static enum svm_action refuse(struct vcpu *vcpu, struct vmcb *vmcb)
{
	vcpu->vm->msr_refused++;
	svm_inject_exception(vmcb, VECTOR_GP, true, 0);
	return SVM_RESUME;
}

/* The VMCB field holding a guest-state MSR, or NULL. */
static uint64_t *msr_field(struct vcpu *vcpu, struct vmcb_save *s, uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_EFER:
		return &s->efer;
	case MSR_IA32_PAT:
		return &s->g_pat;
	case MSR_IA32_FS_BASE:
		return &s->fs.base;
	case MSR_IA32_GS_BASE:
		return &s->gs.base;
	case MSR_IA32_KERNEL_GS_BASE:
		return &s->kernel_gs_base;
	case MSR_IA32_STAR:
		return &s->star;
	case MSR_IA32_LSTAR:
		return &s->lstar;
	case MSR_IA32_CSTAR:
		return &s->cstar;
	case MSR_IA32_FMASK:
		return &s->sfmask;
	case MSR_IA32_SYSENTER_CS:
		return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:
		return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		return &s->sysenter_eip;
	case MSR_IA32_TSC_AUX:
		return &((struct svm_vcpu *)vcpu->backend)->tsc_aux;
	default:
		return 0;
	}
}

static enum svm_action msr_read(struct vcpu *vcpu, struct vmcb *vmcb, uint32_t msr)
{
	uint64_t value, *field = msr_field(vcpu, &vmcb->save, msr);
	switch (msr_policy(msr, false)) {
	case MSR_GUEST_STATE:
		if (!field)
			return refuse(vcpu, vmcb);
		value = *field;
		if (msr == MSR_IA32_EFER)
			value &= ~EFER_SVME; /* kan's, not the guest's */
		break;
	case MSR_EMULATED:
		value = msr_emulated_read(vcpu, msr);
		break;
	default:
		return refuse(vcpu, vmcb);
	}
	vcpu->regs.rax = (uint32_t)value;
	vcpu->regs.rdx = value >> 32;
	svm_skip(vmcb, LEN_MSR);
	return SVM_RESUME;
}

static enum svm_action msr_write(struct vcpu *vcpu, struct vmcb *vmcb, uint32_t msr)
{
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	uint64_t *field = msr_field(vcpu, &vmcb->save, msr);
	if (msr_policy(msr, true) != MSR_GUEST_STATE || !field)
		return refuse(vcpu, vmcb);
	uint64_t old = *field;
	if (msr == MSR_IA32_EFER)
		old &= ~EFER_SVME;
	if (!msr_value_valid(msr, value, old, vmcb->save.cr0 & CR0_PG))
		return refuse(vcpu, vmcb);
	if (msr == MSR_IA32_EFER)
		value = (value & ~EFER_LMA) | (old & EFER_LMA) | EFER_SVME;
	*field = value;
	if (msr == MSR_IA32_TSC_AUX)
		wrmsr(MSR_IA32_TSC_AUX, value); /* this vCPU owns the CPU's (svm_run.c) */
	svm_skip(vmcb, LEN_MSR);
	return SVM_RESUME;
}

/* The local APIC's MSRs: its device model answers (kernel/vintr.h). */
static enum svm_action apic_msr(struct vcpu *vcpu, struct vmcb *vmcb, uint32_t msr, bool write)
{
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	if (vintr_msr(vcpu, msr, write, &value))
		return refuse(vcpu, vmcb);
	if (!write) {
		vcpu->regs.rax = (uint32_t)value;
		vcpu->regs.rdx = value >> 32;
	}
	svm_skip(vmcb, LEN_MSR);
	return vcpu_wants_cpu_back(vcpu) ? SVM_STOP : SVM_RESUME;
}

enum svm_action svm_exit_msr(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint32_t msr = (uint32_t)vcpu->regs.rcx;
	if (__builtin_expect(vintr_msr_owned(vcpu, msr), 0))
		return apic_msr(vcpu, vmcb, msr, vmcb->control.exit_info1);
	return vmcb->control.exit_info1 ? msr_write(vcpu, vmcb, msr) : msr_read(vcpu, vmcb, msr);
}
