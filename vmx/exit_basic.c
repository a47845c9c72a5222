/* The small handlers: events that end, pause or fault the guest without emulating anything. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

enum exit_action vmx_exit_triple_fault(struct vcpu *vcpu)
{
	vm_crash(vcpu->vm, "triple fault (guest RIP 0x%lx, CR0 0x%lx)", vmcs_read(GUEST_RIP),
		 vmcs_read(CR0_READ_SHADOW));
	return EXIT_STOP;
}

enum exit_action vmx_exit_hlt(struct vcpu *vcpu)
{
	if (!(vmcs_read(GUEST_RFLAGS) & RFLAGS_IF)) {
		vm_crash(vcpu->vm,
			 "HLT with interrupts disabled at guest RIP 0x%lx: it can never "
			 "wake up",
			 vmcs_read(GUEST_RIP));
		return EXIT_STOP;
	}
	vmx_skip_instruction();
	return EXIT_HALT;
}

enum exit_action vmx_exit_preemption_timer(struct vcpu *vcpu)
{
	(void)vcpu;
	return EXIT_PREEMPT;
}

enum exit_action vmx_exit_external_interrupt(struct vcpu *vcpu)
{
	/* One of kan's own interrupts (console, idle timer), acknowledged by the exit. */
	(void)vcpu;
	uint32_t info = (uint32_t)vmcs_read(VM_EXIT_INTR_INFO);
	if ((info & INTR_INFO_VALID) && interrupt_dispatch((uint8_t)info))
		return EXIT_PREEMPT; /* kan has work for this CPU: a command, a line of input */
	return EXIT_RESUME;
}

enum exit_action vmx_exit_exception_nmi(struct vcpu *vcpu)
{
	/* The exception bitmap is empty: only NMIs arrive here, and they are the host's. */
	(void)vcpu;
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

enum exit_action vmx_exit_dr_access(struct vcpu *vcpu)
{
	/* Debug registers are not virtualized yet: MOV to or from DRn faults. Hardware
	 * breakpoints on the host's addresses would otherwise be the guest's to set. */
	(void)vcpu;
	vmx_inject_exception(VECTOR_GP, true, 0);
	return EXIT_RESUME;
}
