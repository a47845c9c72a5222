/* The small handlers: events that end, pause or fault the guest without emulating anything. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/mce.h"
#include "arch/x86_64/xstate.h"
#include "kernel/vintr.h"
#include "kernel/cpuid_policy.h"
#include "kernel/guest_insn.h"
#include "kernel/hypercall.h"
#include "kernel/mmio.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

#define VECTOR_UD   6
#define VECTOR_GP   13
#define LEN_HLT	    1
#define LEN_INVD    2 /* INVD and WBINVD */
#define LEN_CPUID   2
#define LEN_VMMCALL 3
#define LEN_PAUSE   2 /* F3 90 */

/*
 * A triple fault: the guest could not deliver an exception. The line says which event was
 * being delivered (EXITINTINFO, valid if bit 31 is set: one kan injected, or the guest's own)
 * and where the CPU looked (IDTR, the stack), so that a guest's own fault can be told from a
 * bad injection by kan.
 */
enum svm_action svm_exit_shutdown(struct vcpu *vcpu, struct vmcb *vmcb)
{
	const struct vmcb_save *s = &vmcb->save;
	const struct svm_vm *sv = vcpu->vm->backend;
	struct guest_paging p = { s->cr0, s->cr3, s->cr4, s->efer };
	uint8_t byte;
	bool code = guest_read_code(vcpu->vm, &p, s->cs.base, s->rip, s->cs.attrib & CS_ATTR_LONG,
				    &byte, 1) == 1;
	vm_crash(vcpu->vm,
		 "triple fault (guest RIP 0x%lx, CR0 0x%lx, CR3 0x%lx, CR4 0x%lx, EFER 0x%lx, RSP "
		 "0x%lx, IDT 0x%lx/0x%x, EXITINTINFO 0x%lx; kan %s the code at RIP through the "
		 "guest's page tables%s)",
		 s->rip, s->cr0, s->cr3, s->cr4, s->efer, s->rsp, s->idtr.base, s->idtr.limit,
		 vmcb->control.exit_int_info, code ? "reads" : "cannot read",
		 vmcb->control.np_enable && vmcb->control.n_cr3 == sv->ncr3
			 ? ""
			 : "; its nested paging is off or not the VM's");
	return SVM_STOP;
}

/* Only VMs with several vCPUs intercept PAUSE (svm_vm.c): the vCPU spins, most likely on a
 * lock whose holder is a sibling that waits for this CPU, so it gives its slice up. */
enum svm_action svm_exit_pause(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t rip = vmcb->save.rip;
	svm_skip(vmcb, LEN_PAUSE); /* PAUSE is a hint: skipping it changes nothing */
	/* The pause filter saw the loop itself; without it every PAUSE exits and kernel/ judges. */
	if ((svm_caps.features & SVM_FEATURE_PAUSE_FILTER) ||
	    pause_loop_note(&vcpu->pause_loop, rip))
		return SVM_YIELD;
	return SVM_RESUME;
}

enum svm_action svm_exit_hlt(struct vcpu *vcpu, struct vmcb *vmcb)
{
	if (!(vmcb->save.rflags & RFLAGS_IF)) {
		if (vcpu_halt_for_good(vcpu))
			return SVM_STOP; /* an application processor stopped by its OS */
		vm_crash(vcpu->vm,
			 "HLT with interrupts disabled at guest RIP 0x%lx: it can never "
			 "wake up",
			 vmcb->save.rip);
		return SVM_STOP;
	}
	svm_skip(vmcb, LEN_HLT);
	/* An interrupt already waiting ends the halt at once: it is injected on the way in. */
	if (vintr_present(vcpu)) {
		vintr_update(vcpu);
		if (vintr_pending(vcpu))
			return SVM_RESUME;
	}
	return SVM_HALT;
}

/*
 * One of kan's own interrupts (its timer ending the slice, the console, a kick). Unlike VT-x,
 * the exit does not acknowledge it: it waits in the LAPIC until kan opens the window below,
 * and kan's own handler takes it. Then the scheduler decides.
 */
enum svm_action svm_exit_intr(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu, (void)vmcb;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return SVM_PREEMPT;
}

/* A host NMI: held by GIF until the stub's STGI, where kan's own handler took it already. */
enum svm_action svm_exit_nmi(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu, (void)vmcb;
	nmi_stop_if_asked(); /* the machine's end: this CPU leaves SVM and halts */
	return SVM_RESUME;
}

/* An INIT for this CPU while a guest ran: kan sends none, so it is ignored, as in kan. */
enum svm_action svm_exit_init(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu, (void)vmcb;
	return SVM_RESUME;
}

/* A machine check while a guest runs is the host's: kan's handler reports it, and ends the
 * run unless it was corrected; then the guest goes on, unblamed. */
enum svm_action svm_exit_machine_check(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu, (void)vmcb;
	mce_reraise_from_guest();
	return SVM_PREEMPT;
}

enum svm_action svm_exit_undefined_opcode(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu;
	svm_inject_exception(vmcb, VECTOR_UD, false, 0);
	return SVM_RESUME;
}

enum svm_action svm_exit_general_protection(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu;
	svm_inject_exception(vmcb, VECTOR_GP, true, 0);
	return SVM_RESUME;
}

enum svm_action svm_exit_invd(struct vcpu *vcpu, struct vmcb *vmcb)
{
	/* INVD would drop, and WBINVD flush, caches that every VM shares: both do nothing. */
	(void)vcpu;
	svm_skip(vmcb, LEN_INVD);
	return SVM_RESUME;
}

enum svm_action svm_exit_cpuid(struct vcpu *vcpu, struct vmcb *vmcb)
{
	vcpu->osxsave = vmcb->save.cr4 & CR4_OSXSAVE;
	if (vcpu->osxsave)
		svm_sync_xcr0(vcpu); /* leaf 0xD follows it */
	cpuid_policy_apply(vcpu);
	svm_skip(vmcb, LEN_CPUID);
	return SVM_RESUME;
}

enum svm_action svm_exit_vmmcall(struct vcpu *vcpu, struct vmcb *vmcb)
{
	return svm_hypercall(vcpu, vmcb, LEN_VMMCALL);
}

enum svm_action svm_hypercall(struct vcpu *vcpu, struct vmcb *vmcb, unsigned length)
{
	svm_skip(vmcb, length);
	switch (hypercall_dispatch(vcpu)) {
	case HYPERCALL_YIELD:
		return SVM_YIELD;
	case HYPERCALL_ENDED:
		return SVM_STOP;
	default:
		return SVM_RESUME;
	}
}

/* Guest-physical accesses the nested page tables do not allow: memory it does not own. */
enum svm_action svm_exit_npf(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t error = vmcb->control.exit_info1, gpa = vmcb->control.exit_info2;
	if (vm_has_mmio(vcpu->vm) && !(error & (1u << 4))) {
		struct vmcb_save *s = &vmcb->save;
		struct guest_paging p = { s->cr0, s->cr3, s->cr4, s->efer };
		unsigned length;
		const char *why;
		switch (vm_mmio_emulate(vcpu, &p, s->cs.base, s->rip, s->cs.attrib & CS_ATTR_LONG,
					gpa, &length, &why)) {
		case MMIO_DONE:
			s->rip += length; /* no NRIP for a nested page fault */
			vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
			return vcpu_wants_cpu_back(vcpu) ? SVM_STOP : SVM_RESUME;
		case MMIO_REFUSED:
			vm_crash(vcpu->vm, "device access at 0x%lx, guest RIP 0x%lx: %s", gpa,
				 s->rip, why);
			return SVM_STOP;
		case MMIO_NOT_DEVICE:
			break;
		}
	}
	const char *access = error & (1u << 4)	 ? "instruction fetch"
			     : error & (1u << 1) ? "write"
						 : "read";
	vm_crash(vcpu->vm,
		 "nested page fault at guest-physical address 0x%lx (%s, outside its %lu MiB "
		 "of RAM), guest RIP 0x%lx",
		 gpa, access, vcpu->vm->config.mem >> 20, vmcb->save.rip);
	return SVM_STOP;
}
