/* Guest-physical accesses EPT does not allow: a device's registers (MMIO, emulated), or memory
 * the VM does not own. */
#include "kernel/mmio.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

enum exit_action vmx_exit_ept_violation(struct vcpu *vcpu)
{
	uint64_t q = vmcs_read(EXIT_QUALIFICATION);
	uint64_t gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	if (vm_has_mmio(vcpu->vm) && !(q & EPT_VIOLATION_FETCH)) {
		struct guest_paging paging = { vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR3),
					       vmcs_read(GUEST_CR4), vmcs_read(GUEST_IA32_EFER) };
		unsigned length;
		const char *why;
		switch (vm_mmio_emulate(
			vcpu, &paging, vmcs_read(GUEST_CS_BASE), vmcs_read(GUEST_RIP),
			vmcs_read(GUEST_CS_AR_BYTES) & CS_AR_LONG_MODE, gpa, &length, &why)) {
		case MMIO_DONE:
			vmx_skip_bytes(length);
			return vcpu_wants_cpu_back(vcpu) ? EXIT_STOP : EXIT_RESUME;
		case MMIO_REFUSED:
			vm_crash(vcpu->vm, "device access at 0x%lx, guest RIP 0x%lx: %s", gpa,
				 vmcs_read(GUEST_RIP), why);
			return EXIT_STOP;
		case MMIO_NOT_DEVICE:
			break;
		}
	}
	const char *access = q & EPT_VIOLATION_FETCH   ? "instruction fetch"
			     : q & EPT_VIOLATION_WRITE ? "write"
						       : "read";
	vm_crash(vcpu->vm,
		 "EPT violation at guest-physical address 0x%lx (%s, outside its %lu MiB "
		 "of RAM), guest RIP 0x%lx",
		 gpa, access, vcpu->vm->config.mem >> 20, vmcs_read(GUEST_RIP));
	return EXIT_STOP;
}

enum exit_action vmx_exit_ept_misconfig(struct vcpu *vcpu)
{
	vm_crash(vcpu->vm, "EPT misconfiguration at guest-physical address 0x%lx: a kan bug",
		 vmcs_read(GUEST_PHYSICAL_ADDRESS));
	return EXIT_STOP;
}
