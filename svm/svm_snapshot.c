/*
 * A vCPU's whole state out of its VMCB (and what VMRUN leaves in the CPU) into kan's neutral
 * struct vcpu_snapshot, and back into a fresh vCPU: kernel/snapshot.c's two halves.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/string.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

/* The VMCB's packed attributes are the snapshot's bits 0-11; AMD-V has no unusable bit: a
 * segment the VMCB holds is as the guest left it. */
static void segment_out(const struct vmcb_segment *from, struct vcpu_segment *to)
{
	*to = (struct vcpu_segment){ from->selector, from->attrib, from->limit, from->base };
}

static void segment_in(const struct vcpu_segment *from, struct vmcb_segment *to)
{
	*to = (struct vmcb_segment){ from->selector, (uint16_t)(from->attributes & 0xfff),
				     from->limit, from->base };
}

/* The VMCB's segments in the snapshot's order (enum vcpu_segment_index). */
static struct vmcb_segment *segments(struct vmcb_save *s, unsigned i)
{
	struct vmcb_segment *order[SEG_COUNT] = { &s->es, &s->cs, &s->ss,   &s->ds,
						  &s->fs, &s->gs, &s->ldtr, &s->tr };
	return order[i];
}

void svm_vcpu_save(struct vcpu *vcpu, struct vcpu_snapshot *out)
{
	struct svm_vcpu *sv = vcpu->backend;
	svm_release_owner(vcpu);
	struct vmcb_save *s = &sv->vmcb->save;
	struct vmcb_control *c = &sv->vmcb->control;
	memset(out, 0, offsetof(struct vcpu_snapshot, xsave));
	out->regs = vcpu->regs;
	out->regs.rax = s->rax; /* VMRUN's RAX is the VMCB's */
	out->rip = s->rip;
	out->rsp = s->rsp;
	out->rflags = s->rflags;
	out->cr0 = s->cr0;
	out->cr2 = s->cr2;
	out->cr3 = s->cr3;
	out->cr4 = s->cr4;
	out->efer = s->efer & ~EFER_SVME; /* the guest never sees SVME (exit_msr.c) */
	out->cr8 = (uint8_t)(c->v_intr & 0xf);
	out->xcr0 = vcpu->xcr0;
	out->osxsave = vcpu->osxsave;
	memcpy(out->dr, sv->dr, sizeof(out->dr));
	out->dr6 = s->dr6;
	out->dr7 = s->dr7;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		segment_out(segments(s, i), &out->seg[i]);
	out->gdtr_base = s->gdtr.base;
	out->gdtr_limit = s->gdtr.limit;
	out->idtr_base = s->idtr.base;
	out->idtr_limit = s->idtr.limit;
	out->sysenter_cs = s->sysenter_cs;
	out->sysenter_esp = s->sysenter_esp;
	out->sysenter_eip = s->sysenter_eip;
	out->star = s->star;
	out->lstar = s->lstar;
	out->cstar = s->cstar;
	out->fmask = s->sfmask;
	out->kernel_gs_base = s->kernel_gs_base;
	out->tsc_aux = sv->tsc_aux;
	out->pat = s->g_pat;
	out->guest_tsc = rdtsc() + c->tsc_offset;
	out->event = (uint32_t)c->event_inj;
	out->event_error = (uint32_t)(c->event_inj >> 32);
	out->interrupt_shadow = c->int_state & SVM_INT_STATE_SHADOW;
	if (out->xsave)
		memcpy(out->xsave, vcpu->xsave_area, xstate.size);
}

bool svm_vcpu_load(struct vcpu *vcpu, const struct vcpu_snapshot *in)
{
	struct svm_vcpu *sv = vcpu->backend;
	/* The lazy state lives in sv until the vCPU first runs (switch_owner loads it). */
	svm_drop_owner(vcpu);
	struct vmcb_save *s = &sv->vmcb->save;
	struct vmcb_control *c = &sv->vmcb->control;
	vcpu->regs = in->regs;
	vcpu->xcr0 = in->xcr0;
	vcpu->osxsave = in->osxsave;
	memcpy(vcpu->xsave_area, in->xsave, xstate.size);
	memcpy(sv->dr, in->dr, sizeof(sv->dr));
	sv->tsc_aux = in->tsc_aux;
	s->rax = in->regs.rax;
	s->rip = in->rip;
	s->rsp = in->rsp;
	s->rflags = in->rflags;
	s->cr0 = in->cr0;
	s->cr2 = in->cr2;
	s->cr3 = in->cr3;
	s->cr4 = in->cr4;
	s->efer = in->efer | EFER_SVME;
	c->v_intr = (c->v_intr & ~0xfull) | in->cr8;
	sv->v_tpr = in->cr8;
	s->dr6 = in->dr6;
	s->dr7 = in->dr7;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		segment_in(&in->seg[i], segments(s, i));
	s->cpl = (uint8_t)((in->seg[SEG_SS].attributes >> 5) & 3); /* SS.DPL (APM 15.5.1) */
	s->gdtr.base = in->gdtr_base;
	s->gdtr.limit = in->gdtr_limit;
	s->idtr.base = in->idtr_base;
	s->idtr.limit = in->idtr_limit;
	s->sysenter_cs = in->sysenter_cs;
	s->sysenter_esp = in->sysenter_esp;
	s->sysenter_eip = in->sysenter_eip;
	s->star = in->star;
	s->lstar = in->lstar;
	s->cstar = in->cstar;
	s->sfmask = in->fmask;
	s->kernel_gs_base = in->kernel_gs_base;
	s->g_pat = in->pat;
	/* Its TSC goes on from the snapshot's value: the offset is taken now, just before it
	 * can first run, so the time between the snapshot and the restore does not show. */
	c->tsc_offset = in->guest_tsc - rdtsc();
	c->event_inj = in->event | (uint64_t)in->event_error << 32;
	c->int_state = in->interrupt_shadow ? SVM_INT_STATE_SHADOW : 0;
	sv->flush = true;
	return true;
}
