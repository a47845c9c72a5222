/* Port I/O: every access exits and goes to the VM's I/O bus (kernel/devices/iobus.c). */
#include "vmx/exit.h"
#include "vmx/vmcs.h"

/* Exit qualification for I/O instructions (SDM Vol. 3C, Table 28-5). */
#define IO_SIZE_MASK  0x7
#define IO_IN	      (1u << 3)
#define IO_STRING     (1u << 4)
#define IO_PORT_SHIFT 16

enum exit_action vmx_exit_io(struct vcpu *vcpu)
{
	uint64_t q = vmcs_read(EXIT_QUALIFICATION);
	unsigned size = (q & IO_SIZE_MASK) + 1;
	uint16_t port = (uint16_t)(q >> IO_PORT_SHIFT);
	if (q & IO_STRING)
		return vmx_stop_with_report(vcpu, VMX_EXIT_REASON_IO_INSTRUCTION,
					    "string port I/O (INS/OUTS) is not supported");
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	uint32_t value = (uint32_t)(vcpu->regs.rax & mask);
	bool in = q & IO_IN;
	iobus_access(&vcpu->vm->io, port, size, !in, &value);
	if (in) {
		/* A 32-bit IN zero-extends into RAX; 8- and 16-bit ones keep the other bits. */
		if (size == 4)
			vcpu->regs.rax = value;
		else
			vcpu->regs.rax = (vcpu->regs.rax & ~mask) | (value & mask);
	}
	vmx_skip_instruction();
	return vm_wants_cpu_back(vcpu->vm) ? EXIT_STOP : EXIT_RESUME;
}
