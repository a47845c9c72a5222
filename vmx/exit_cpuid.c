#include "kernel/cpuid_policy.h"
#include "vmx/exit.h"

enum exit_action vmx_exit_cpuid(struct vcpu *vcpu)
{
	cpuid_policy_apply(vcpu);
	vmx_skip_instruction();
	return EXIT_RESUME;
}
