#include "kernel/hypercall.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

enum exit_action vmx_exit_vmcall(struct vcpu *vcpu)
{
	vmx_skip_instruction();
	switch (hypercall_dispatch(vcpu)) {
	case HYPERCALL_YIELD:
		return EXIT_YIELD;
	case HYPERCALL_ENDED:
		return EXIT_STOP;
	default:
		return EXIT_RESUME;
	}
}
