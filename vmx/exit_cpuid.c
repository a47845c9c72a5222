#include "kernel/cpuid_policy.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

enum exit_action vmx_exit_cpuid(struct vcpu *vcpu)
{
	struct guest_regs *r = &vcpu->regs;
	struct cpuid_regs c = cpuid_policy(vcpu, (uint32_t)r->rax, (uint32_t)r->rcx);
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	vmx_skip_instruction();
	return EXIT_RESUME;
}
