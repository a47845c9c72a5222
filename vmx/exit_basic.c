/* The small handlers: events that end, pause or fault the guest without emulating anything. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "kernel/vintr.h"
#include "arch/x86_64/mce.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

enum exit_action vmx_exit_triple_fault(struct vcpu *vcpu)
{
	vm_crash(vcpu->vm, "triple fault (guest RIP 0x%lx, CR0 0x%lx)", vmcs_read(GUEST_RIP),
		 vmcs_read(CR0_READ_SHADOW));
	return EXIT_STOP;
}

enum exit_action vmx_exit_hlt(struct vcpu *vcpu)
{
	if (!(vmcs_read(GUEST_RFLAGS) & RFLAGS_IF)) {
		if (vcpu_halt_for_good(vcpu))
			return EXIT_STOP; /* an application processor stopped by its OS */
		vm_crash(vcpu->vm,
			 "HLT with interrupts disabled at guest RIP 0x%lx: it can never "
			 "wake up",
			 vmcs_read(GUEST_RIP));
		return EXIT_STOP;
	}
	vmx_skip_instruction();
	/* An interrupt already waiting ends the halt at once: it is injected on the way in. */
	if (vintr_present(vcpu)) {
		vintr_update(vcpu);
		if (vintr_pending(vcpu))
			return EXIT_RESUME;
	}
	return EXIT_HALT;
}

/* Only VMs with several vCPUs exit on PAUSE (vmx_proc_controls): the vCPU spins, most likely
 * on a lock whose holder is a sibling that waits for this CPU, so it gives its slice up. */
enum exit_action vmx_exit_pause(struct vcpu *vcpu)
{
	uint64_t rip = vmcs_read(GUEST_RIP);
	vmx_skip_instruction(); /* PAUSE is a hint: skipping it changes nothing */
	/* PAUSE-loop exiting saw the loop itself; after a plain PAUSE exit, kernel/ judges. */
	if (vmx_controls.pause_proc2 || pause_loop_note(&vcpu->pause_loop, rip))
		return EXIT_YIELD;
	return EXIT_RESUME;
}

enum exit_action vmx_exit_preemption_timer(struct vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->backend;
	uint64_t now = rdtsc();
	if (__builtin_expect(vmx_interrupts_held, 0) && now < vx->slice_end) {
		/* A stop to take kan's interrupts (vmx/held_interrupts.c); then the slice goes on.
		 */
		if (interrupt_take_pending())
			return EXIT_PREEMPT;
		if (vintr_present(vcpu))
			vmx_arm_slice_timer(vcpu, vx, now);
		else
			vmx_set_preemption_timer(vx->slice_end - now);
		return EXIT_RESUME;
	}
	/* Before the slice's end it was the guest's timer tick: the dispatch delivers it. */
	if (vintr_ticks_in_slice(vcpu) && now < vx->slice_end)
		return EXIT_RESUME;
	return EXIT_PREEMPT;
}

enum exit_action vmx_exit_external_interrupt(struct vcpu *vcpu)
{
	/* One of kan's own interrupts (console, idle timer), acknowledged by the exit. */
	(void)vcpu;
	uint32_t info = (uint32_t)vmcs_read(VM_EXIT_INTR_INFO);
	if ((info & INTR_INFO_VALID) && interrupt_dispatch((uint8_t)info))
		return EXIT_PREEMPT; /* kan has work for this CPU: a command, a line of input */
	if (vmx_controls.lapic_slices && (uint8_t)info == LAPIC_TIMER_VECTOR &&
	    (!vintr_ticks_in_slice(vcpu) ||
	     rdtsc() >= ((struct vmx_vcpu *)vcpu->backend)->slice_end))
		return EXIT_PREEMPT; /* the slice's end, where the preemption timer is broken */
	return EXIT_RESUME;
}

enum exit_action vmx_exit_exception_nmi(struct vcpu *vcpu)
{
	/* The exception bitmap has #MC and #UD: NMIs and machine checks arrive here, both the
	 * host's, and the guest's #UD. A machine check goes to kan's handler, which ends the run
	 * unless it was corrected; then the guest goes on, unblamed. */
	uint32_t info = (uint32_t)vmcs_read(VM_EXIT_INTR_INFO);
	if ((info & 0xff) == VECTOR_MC) {
		mce_reraise_from_guest();
		return EXIT_PREEMPT;
	}
	if ((info & 0xff) == VECTOR_UD && (info & (7u << 8)) == INTR_TYPE_HARDWARE_EXCEPTION)
		return vmx_exit_invalid_opcode(vcpu);
	if ((info & (7u << 8)) != INTR_TYPE_NMI)
		return vmx_stop_with_report(vcpu, 0, "an exception kan does not intercept exited");
	vmx_nmi_taken();
	nmi_stop_if_asked(); /* the machine's end: this CPU leaves VMX and halts */
	return EXIT_RESUME;
}

enum exit_action vmx_exit_undefined_opcode(struct vcpu *vcpu)
{
	(void)vcpu;
	vmx_inject_exception(VECTOR_UD, false, 0);
	return EXIT_RESUME;
}

enum exit_action vmx_exit_general_protection(struct vcpu *vcpu)
{
	(void)vcpu;
	vmx_inject_exception(VECTOR_GP, true, 0);
	return EXIT_RESUME;
}

enum exit_action vmx_exit_invd(struct vcpu *vcpu)
{
	/* INVD would drop, and WBINVD flush, caches that every VM shares: both do nothing. */
	(void)vcpu;
	vmx_skip_instruction();
	return EXIT_RESUME;
}

/*
 * MOV to/from DRn (SDM Table 28-4 qualification). DR7 is the guest's own in the VMCS; the
 * others are kept per vCPU and never reach the hardware, so a guest's breakpoints never
 * fire (on kan or on anyone else) -- they are storage, which is what kernels need at boot.
 */
enum exit_action vmx_exit_dr_access(struct vcpu *vcpu)
{
	uint64_t q = vmcs_read(EXIT_QUALIFICATION);
	unsigned dr = q & 7, gpr = (q >> 8) & 0xf;
	bool to_guest_register = q & (1u << 4); /* MOV from DR */
	uint64_t *slot = &((struct vmx_vcpu *)vcpu->backend)->dr[dr & 3];
	if (dr == 4 || dr == 5)
		dr += 2; /* aliases of DR6 and DR7 while CR4.DE is clear */
	if (dr == 6)
		slot = &((struct vmx_vcpu *)vcpu->backend)->dr6;
	if (to_guest_register) {
		uint64_t v = dr == 7 ? vmcs_read(GUEST_DR7) : *slot;
		if (gpr == GPR_RSP)
			vmcs_write(GUEST_RSP, v);
		else
			vcpu->regs.gpr[gpr] = v;
	} else {
		uint64_t v = gpr == GPR_RSP ? vmcs_read(GUEST_RSP) : vcpu->regs.gpr[gpr];
		if ((dr == 6 || dr == 7) && (v >> 32)) {
			vmx_inject_exception(VECTOR_GP, true, 0);
			return EXIT_RESUME;
		}
		if (dr == 7)
			vmcs_write(GUEST_DR7, (v | 0x400) & ~0x2000ull); /* bit 10 set, GD clear */
		else
			*slot = v;
	}
	vmx_skip_instruction();
	return EXIT_RESUME;
}
