/* Hypercalls: VMCALL exits by itself; AMD's VMMCALL raises #UD on Intel, which kan intercepts. */
#include "kernel/guest_insn.h"
#include "kernel/hypercall.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

static enum exit_action hypercall(struct vcpu *vcpu)
{
	switch (hypercall_dispatch(vcpu)) {
	case HYPERCALL_YIELD:
		return EXIT_YIELD;
	case HYPERCALL_ENDED:
		return EXIT_STOP;
	default:
		return EXIT_RESUME;
	}
}

enum exit_action vmx_exit_vmcall(struct vcpu *vcpu)
{
	vmx_skip_instruction();
	return hypercall(vcpu);
}

/*
 * The guest's #UD: the exit gives no instruction length or identity for a fault, so kan reads
 * the instruction at CS:RIP itself, through the guest's page tables as the CPU walked them
 * (GUEST_CR0/CR4, not the read shadows). VMMCALL is answered like VMCALL, so that a guest
 * written for AMD runs here too; anything else gets its #UD, as if kan were not there.
 */
enum exit_action vmx_exit_invalid_opcode(struct vcpu *vcpu)
{
	struct guest_paging paging = { vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR3),
				       vmcs_read(GUEST_CR4), vmcs_read(GUEST_IA32_EFER) };
	struct insn insn;
	if (guest_fetch_insn(vcpu->vm, &paging, vmcs_read(GUEST_CS_BASE), vmcs_read(GUEST_RIP),
			     vmcs_read(GUEST_CS_AR_BYTES) & CS_AR_LONG_MODE, &insn) &&
	    insn.kind == INSN_VMMCALL) {
		vmx_skip_bytes(insn.length);
		return hypercall(vcpu);
	}
	vmx_inject_exception(VECTOR_UD, false, 0);
	return EXIT_RESUME;
}
