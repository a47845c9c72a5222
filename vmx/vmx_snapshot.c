/*
 * A vCPU's whole state out of its VMCS (and what VT-x leaves in the CPU) into kan's neutral
 * struct vcpu_snapshot, and back into a fresh vCPU: kernel/snapshot.c's two halves.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

#define BLOCKING_BY_NMI (1u << 3) /* guest interruptibility state (SDM Vol. 3C, 25.4.2) */

/* The VMCS keeps AVL, L, D/B and G in access-rights bits 12-15; the snapshot in 8-11. */
static uint32_t ar_to_attributes(uint64_t ar)
{
	return (uint32_t)((ar & 0xff) | ((ar >> 4) & 0xf00) | (ar & AR_UNUSABLE));
}

static uint32_t attributes_to_ar(uint32_t a)
{
	return (a & 0xff) | ((a & 0xf00) << 4) | (a & VCPU_SEGMENT_UNUSABLE);
}

/* Makes the vCPU's VMCS current here; true if it was not (vmx_snapshot_done clears it). */
static bool make_current(struct vmx_vcpu *vx)
{
	struct vmx_pcpu *pc = this_cpu()->backend;
	if (pc->current_vmcs == vx->vmcs_phys)
		return true;
	enum vmx_status s = vmptrld(vx->vmcs_phys);
	if (s != VMX_OK) {
		vmx_report_failure("VMPTRLD", "of a vCPU's VMCS", s, __builtin_return_address(0));
		return false;
	}
	pc->current_vmcs = vx->vmcs_phys;
	return true;
}

/* The VMCS written back to memory and loadable anywhere: its next run loads it afresh
 * (VMLAUNCH, host state, the lazy state from vx), as after vcpu_unload. */
static void release(struct vcpu *vcpu, struct vmx_vcpu *vx)
{
	struct vmx_pcpu *pc = this_cpu()->backend;
	enum vmx_status s = vmclear(vx->vmcs_phys);
	if (s != VMX_OK)
		vmx_report_failure("VMCLEAR", "of a vCPU's VMCS", s, __builtin_return_address(0));
	pc->current_vmcs = 0;
	vmx_drop_owner(pc, vcpu);
	vx->launched = false;
	vx->host_cpu = -1;
}

void vmx_vcpu_save(struct vcpu *vcpu, struct vcpu_snapshot *out)
{
	struct vmx_vcpu *vx = vcpu->backend;
	struct vmx_pcpu *pc = this_cpu()->backend;
	/* What this CPU holds for the vCPU goes to memory first; its next run loads it again. */
	vmx_release_owner(pc, vcpu);
	memset(out, 0, offsetof(struct vcpu_snapshot, xsave));
	if (!make_current(vx))
		return;
	out->regs = vcpu->regs;
	out->rip = vmcs_read(GUEST_RIP);
	out->rsp = vmcs_read(GUEST_RSP);
	out->rflags = vmcs_read(GUEST_RFLAGS);
	out->cr0 = vmcs_read(CR0_READ_SHADOW);
	out->cr2 = vx->cr2;
	out->cr3 = vmcs_read(GUEST_CR3);
	out->cr4 = vmcs_read(CR4_READ_SHADOW);
	out->efer = vmcs_read(GUEST_IA32_EFER);
	out->cr8 = vx->cr8;
	out->xcr0 = vcpu->xcr0;
	out->osxsave = vcpu->osxsave;
	memcpy(out->dr, vx->dr, sizeof(out->dr));
	out->dr6 = vx->dr6;
	out->dr7 = vmcs_read(GUEST_DR7);
	for (unsigned i = 0; i < SEG_COUNT; i++) {
		struct vcpu_segment *s = &out->seg[i];
		s->selector = (uint16_t)vmcs_read(GUEST_ES_SELECTOR + 2 * i);
		s->base = vmcs_read(GUEST_ES_BASE + 2 * i);
		s->limit = (uint32_t)vmcs_read(GUEST_ES_LIMIT + 2 * i);
		s->attributes = ar_to_attributes(vmcs_read(GUEST_ES_AR_BYTES + 2 * i));
	}
	out->gdtr_base = vmcs_read(GUEST_GDTR_BASE);
	out->gdtr_limit = (uint32_t)vmcs_read(GUEST_GDTR_LIMIT);
	out->idtr_base = vmcs_read(GUEST_IDTR_BASE);
	out->idtr_limit = (uint32_t)vmcs_read(GUEST_IDTR_LIMIT);
	for (unsigned i = 0; i < 4; i++)
		out->pdpte[i] = vmcs_read(GUEST_PDPTE0 + 2 * i);
	out->sysenter_cs = vmcs_read(GUEST_SYSENTER_CS);
	out->sysenter_esp = vmcs_read(GUEST_SYSENTER_ESP);
	out->sysenter_eip = vmcs_read(GUEST_SYSENTER_EIP);
	out->kernel_gs_base = vx->lazy_msr[0];
	out->star = vx->lazy_msr[1];
	out->lstar = vx->lazy_msr[2];
	out->cstar = vx->lazy_msr[3];
	out->fmask = vx->lazy_msr[4];
	out->tsc_aux = vx->lazy_msr[5];
	if (vmx_controls.entry & ENTRY_LOAD_IA32_PAT)
		out->pat = vmcs_read(GUEST_IA32_PAT);
	out->guest_tsc = rdtsc() + vmcs_read(TSC_OFFSET);
	out->event = (uint32_t)vmcs_read(VM_ENTRY_INTR_INFO);
	out->event_error = (uint32_t)vmcs_read(VM_ENTRY_EXCEPTION_ERROR_CODE);
	uint32_t blocking = (uint32_t)vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	out->interrupt_shadow = blocking & BLOCKING_BY_STI_OR_MOV_SS;
	out->nmi_blocked = blocking & BLOCKING_BY_NMI;
	if (out->xsave)
		memcpy(out->xsave, vcpu->xsave_area, xstate.size);
	release(vcpu, vx);
}

/* STI blocking needs RFLAGS.IF set at VM entry (SDM 27.3.1.5); MOV SS blocking does not. */
static uint32_t interrupt_shadow(const struct vcpu_snapshot *in)
{
	if (!in->interrupt_shadow)
		return 0;
	return in->rflags & (1u << 9) ? 1u : 2u;
}

bool vmx_vcpu_load(struct vcpu *vcpu, const struct vcpu_snapshot *in)
{
	struct vmx_vcpu *vx = vcpu->backend;
	/* The lazy state lives in vx until the vCPU first runs (vmx_switch_owner loads it). */
	vmx_drop_owner(this_cpu()->backend, vcpu);
	vx->lazy_msr[0] = in->kernel_gs_base;
	vx->lazy_msr[1] = in->star;
	vx->lazy_msr[2] = in->lstar;
	vx->lazy_msr[3] = in->cstar;
	vx->lazy_msr[4] = in->fmask;
	vx->lazy_msr[5] = vmx_lazy_msr_count == VMX_LAZY_MSRS ? in->tsc_aux : 0;
	vx->cr2 = in->cr2;
	vx->cr8 = in->cr8;
	memcpy(vx->dr, in->dr, sizeof(vx->dr));
	vx->dr6 = in->dr6;
	vcpu->regs = in->regs;
	vcpu->xcr0 = in->xcr0;
	vcpu->osxsave = in->osxsave;
	memcpy(vcpu->xsave_area, in->xsave, xstate.size);
	vx->entry_controls = (vx->entry_controls & ~ENTRY_IA32E_MODE_GUEST) |
			     (in->efer & EFER_LMA ? ENTRY_IA32E_MODE_GUEST : 0);
	if (!make_current(vx))
		return false;
	bool ok = true;
	ok &= vmcs_write(VM_ENTRY_CONTROLS, vx->entry_controls);
	ok &= vmcs_write(GUEST_RIP, in->rip);
	ok &= vmcs_write(GUEST_RSP, in->rsp);
	ok &= vmcs_write(GUEST_RFLAGS, in->rflags);
	ok &= vmcs_write(CR0_READ_SHADOW, in->cr0);
	ok &= vmcs_write(GUEST_CR0, vmx_fixed_cr0(in->cr0 & ~(CR0_CD | CR0_NW), true));
	ok &= vmcs_write(GUEST_CR3, in->cr3);
	ok &= vmcs_write(CR4_READ_SHADOW, in->cr4);
	ok &= vmcs_write(GUEST_CR4, vmx_fixed_cr4(in->cr4));
	ok &= vmcs_write(GUEST_IA32_EFER, in->efer);
	ok &= vmcs_write(GUEST_DR7, in->dr7);
	for (unsigned i = 0; i < SEG_COUNT; i++) {
		const struct vcpu_segment *s = &in->seg[i];
		ok &= vmcs_write(GUEST_ES_SELECTOR + 2 * i, s->selector);
		ok &= vmcs_write(GUEST_ES_BASE + 2 * i, s->base);
		ok &= vmcs_write(GUEST_ES_LIMIT + 2 * i, s->limit);
		ok &= vmcs_write(GUEST_ES_AR_BYTES + 2 * i, attributes_to_ar(s->attributes));
	}
	ok &= vmcs_write(GUEST_GDTR_BASE, in->gdtr_base);
	ok &= vmcs_write(GUEST_GDTR_LIMIT, in->gdtr_limit);
	ok &= vmcs_write(GUEST_IDTR_BASE, in->idtr_base);
	ok &= vmcs_write(GUEST_IDTR_LIMIT, in->idtr_limit);
	for (unsigned i = 0; i < 4; i++)
		ok &= vmcs_write(GUEST_PDPTE0 + 2 * i, in->pdpte[i]);
	ok &= vmcs_write(GUEST_SYSENTER_CS, in->sysenter_cs);
	ok &= vmcs_write(GUEST_SYSENTER_ESP, in->sysenter_esp);
	ok &= vmcs_write(GUEST_SYSENTER_EIP, in->sysenter_eip);
	if (vmx_controls.entry & ENTRY_LOAD_IA32_PAT)
		ok &= vmcs_write(GUEST_IA32_PAT, in->pat);
	/* Its TSC goes on from the snapshot's value: the offset is taken now, just before it
	 * can first run, so the time between the snapshot and the restore does not show. */
	ok &= vmcs_write(TSC_OFFSET, in->guest_tsc - rdtsc());
	ok &= vmcs_write(VM_ENTRY_INTR_INFO, in->event);
	ok &= vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, in->event_error);
	ok &= vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			 interrupt_shadow(in) | (in->nmi_blocked ? BLOCKING_BY_NMI : 0));
	release(vcpu, vx);
	if (!ok)
		printk("kan: vm %s: its VMCS could not take the snapshot's state (see above)\n",
		       vcpu->vm->config.name);
	return ok;
}
