/* Guest-physical accesses EPT does not allow: the VM touched memory it does not own. */
#include "vmx/exit.h"
#include "vmx/vmcs.h"

enum exit_action vmx_exit_ept_violation(struct vcpu *vcpu)
{
	uint64_t q = vmcs_read(EXIT_QUALIFICATION);
	const char *access = q & EPT_VIOLATION_FETCH   ? "instruction fetch"
			     : q & EPT_VIOLATION_WRITE ? "write"
						       : "read";
	vm_crash(vcpu->vm,
		 "EPT violation at guest-physical address 0x%lx (%s, outside its %lu MiB "
		 "of RAM), guest RIP 0x%lx",
		 vmcs_read(GUEST_PHYSICAL_ADDRESS), access, vcpu->vm->config.mem >> 20,
		 vmcs_read(GUEST_RIP));
	return EXIT_STOP;
}

enum exit_action vmx_exit_ept_misconfig(struct vcpu *vcpu)
{
	vm_crash(vcpu->vm, "EPT misconfiguration at guest-physical address 0x%lx: a kan bug",
		 vmcs_read(GUEST_PHYSICAL_ADDRESS));
	return EXIT_STOP;
}
