/* The exit table: one entry per exit code, each pointing at its own small handler. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "kernel/time.h"
#include "kernel/trace.h"
#include "kernel/vintr.h"
#include "kernel/console.h"
#include "kernel/vm.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

static const svm_exit_handler exit_handlers[SVM_EXIT_INDEXES] = {
	[SVM_EXIT_CR3_WRITE] = svm_exit_cr3_write,
	[SVM_EXIT_CR4_WRITE] = svm_exit_cr4_write,
	[SVM_EXIT_CR0_WRITE] = svm_exit_cr0_write,
	[SVM_EXIT_EXCEPTION + 6] = svm_exit_ud_exception,
	[SVM_EXIT_EXCEPTION + 18] = svm_exit_machine_check,
	[SVM_EXIT_INTR] = svm_exit_intr,
	[SVM_EXIT_NMI] = svm_exit_nmi,
	[SVM_EXIT_INIT] = svm_exit_init,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_RDPMC] = svm_exit_general_protection,
	[SVM_EXIT_CPUID] = svm_exit_cpuid,
	[SVM_EXIT_INVD] = svm_exit_invd,
	[SVM_EXIT_PAUSE] = svm_exit_pause,
	[SVM_EXIT_HLT] = svm_exit_hlt,
	[SVM_EXIT_INVLPGA] = svm_exit_undefined_opcode,
	[SVM_EXIT_IOIO] = svm_exit_io,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	/* The guest's CPUID says there is no SVM: its SVM instructions fault as they would. */
	[SVM_EXIT_VMRUN] = svm_exit_undefined_opcode,
	[SVM_EXIT_VMMCALL] = svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD] = svm_exit_undefined_opcode,
	[SVM_EXIT_VMSAVE] = svm_exit_undefined_opcode,
	[SVM_EXIT_STGI] = svm_exit_undefined_opcode,
	[SVM_EXIT_CLGI] = svm_exit_undefined_opcode,
	[SVM_EXIT_SKINIT] = svm_exit_undefined_opcode,
	[SVM_EXIT_WBINVD] = svm_exit_invd,
	[SVM_EXIT_MONITOR] = svm_exit_undefined_opcode,
	[SVM_EXIT_MWAIT] = svm_exit_undefined_opcode,
	[SVM_EXIT_MWAIT_ARMED] = svm_exit_undefined_opcode,
	[SVM_EXIT_XSETBV] = svm_exit_xsetbv,
	[SVM_EXIT_INDEX_NPF] = svm_exit_npf,
};

_Static_assert(SVM_EXIT_INDEXES <= VCPU_EXIT_REASONS, "exit counters too few");
_Static_assert(SVM_RESUME == 0, "the exit stub resumes on 0");

static unsigned exit_index(uint64_t code)
{
	if (code < SVM_EXIT_INDEX_NPF)
		return (unsigned)code;
	return code == SVM_EXIT_NPF ? SVM_EXIT_INDEX_NPF : SVM_EXIT_INDEXES;
}

static enum svm_action invalid_state(struct vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_save *s = &vmcb->save;
	printk("kan: vm %s: VMRUN refused the guest state (VMEXIT_INVALID): CR0 0x%lx CR3 0x%lx "
	       "CR4 0x%lx EFER 0x%lx RIP 0x%lx RFLAGS 0x%lx CS %x/%x EVENTINJ 0x%lx\n",
	       vcpu->vm->config.name, s->cr0, s->cr3, s->cr4, s->efer, s->rip, s->rflags,
	       s->cs.selector, s->cs.attrib, vmcb->control.event_inj);
	vm_crash(vcpu->vm, "VM entry failed: VMRUN found its VMCB state invalid (the line above "
			   "shows the state kan gave it)");
	return SVM_STOP;
}

/* Called by the entry stub (svm_entry.asm) for every #VMEXIT: count it, run its handler.
 * SVM_RESUME (0) re-enters the guest at once; anything else returns to svm_vcpu_run. */
int svm_exit_dispatch(struct vcpu *vcpu)
{
	struct svm_vcpu *sv = vcpu->backend;
	struct vmcb *vmcb = sv->vmcb;
	uint64_t code = vmcb->control.exit_code;
	vcpu->regs.rax = vmcb->save.rax;
	if (__builtin_expect((uint32_t)code == (uint32_t)SVM_EXIT_INVALID, 0))
		return invalid_state(vcpu, vmcb);
	vmcb->control.tlb_control = SVM_TLB_NOTHING;
	/* An event injected on entry either went in or is in EXITINTINFO now. */
	vmcb->control.event_inj = 0;
	if (__builtin_expect(vmcb->control.exit_int_info & SVM_EVENT_VALID, 0))
		svm_reinject_event(vmcb);
	unsigned i = exit_index(code);
	if (i >= SVM_EXIT_INDEXES || !exit_handlers[i])
		return svm_stop_with_report(vcpu, "kan has no handler for this VM exit");
	trace_exit(vcpu, i);
	vcpu->exits[i]++;
	enum svm_action action;
	if (__builtin_expect(vintr_present(vcpu), 0)) {
		svm_tpr_from_guest(vcpu, vmcb);
		/* A VM with a virtual interrupt controller: a pending interrupt goes in as soon
		 * as the guest can take it. */
		action = exit_handlers[i](vcpu, vmcb);
		if (action == SVM_RESUME) {
			svm_deliver_interrupts(vcpu, vmcb);
			/* The exit may have armed the guest's timer: be back for it. */
			uint64_t tick = vintr_next_event(vcpu), now = rdtsc();
			if (vintr_ticks_in_slice(vcpu) && tick < sv->timer_end && tick > now) {
				uint64_t us = time_tsc_to_us(tick - now);
				lapic_timer_oneshot(us ? us : 1);
				sv->timer_end = tick;
			}
		}
	} else {
		action = exit_handlers[i](vcpu, vmcb);
	}
	vmcb->save.rax = vcpu->regs.rax;
	/* Exits do not stop the LAPIC timer, but a guest that exits all the time keeps it
	 * from firing in guest mode: the slice also ends by the clock. */
	if (action == SVM_RESUME && rdtsc() >= sv->slice_end)
		return SVM_PREEMPT;
	return action;
}

const char *svm_exit_name(unsigned i)
{
	if (i == SVM_EXIT_INDEX_NPF)
		return svm_exit_code_name(SVM_EXIT_NPF);
	return i < SVM_EXIT_INDEX_NPF ? svm_exit_code_name(i) : NULL;
}

void svm_skip(struct vmcb *vmcb, unsigned len)
{
	if (svm_caps.features & SVM_FEATURE_NRIPS)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
	vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
}

/*
 * An exception as the guest's CPU would deliver it in the guest's current mode: in real mode
 * no exception pushes an error code.
 */
void svm_inject_exception(struct vmcb *vmcb, unsigned vector, bool has_code, uint32_t code)
{
	uint64_t event = SVM_EVENT_VALID | SVM_EVENT_TYPE_EXCEPTION | vector;
	if (has_code && (vmcb->save.cr0 & CR0_PE))
		event |= SVM_EVENT_HAS_CODE | ((uint64_t)code << 32);
	vmcb->control.event_inj = event;
}

enum svm_action svm_stop_with_report(struct vcpu *vcpu, const char *why)
{
	struct vmcb *vmcb = svm_vmcb(vcpu);
	uint64_t code = vmcb->control.exit_code;
	vm_crash(vcpu->vm, "%s: exit code 0x%lx (%s), info 0x%lx 0x%lx, guest RIP 0x%lx", why, code,
		 svm_exit_code_name(code), vmcb->control.exit_info1, vmcb->control.exit_info2,
		 vmcb->save.rip);
	return SVM_STOP;
}
