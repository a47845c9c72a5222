/* Port I/O: every access exits (the IOPM is all ones) and goes to the VM's I/O bus. */
#include "kernel/devices/iobus.h"
#include "svm/svm_cpu.h"

/* EXITINFO1 of the IOIO intercept (APM Vol. 2, 15.10.2). */
#define IOIO_IN		(1u << 0)
#define IOIO_STRING	(1u << 2)
#define IOIO_SIZE_SHIFT 4 /* one-hot: 1, 2 or 4 bytes in bits 4-6 */
#define IOIO_PORT_SHIFT 16

enum svm_action svm_exit_io(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exit_info1;
	unsigned size = (info >> IOIO_SIZE_SHIFT) & 7;
	uint16_t port = (uint16_t)(info >> IOIO_PORT_SHIFT);
	if (info & IOIO_STRING)
		return svm_stop_with_report(vcpu, "string port I/O (INS/OUTS) is not supported");
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	uint32_t value = (uint32_t)(vcpu->regs.rax & mask);
	bool in = info & IOIO_IN;
	iobus_access(&vcpu->vm->io, port, size, !in, &value);
	if (in) {
		/* A 32-bit IN zero-extends into RAX; 8- and 16-bit ones keep the other bits. */
		if (size == 4)
			vcpu->regs.rax = value;
		else
			vcpu->regs.rax = (vcpu->regs.rax & ~mask) | (value & mask);
	}
	/* EXITINFO2 holds the next RIP for this intercept, with or without NRIP save. */
	vmcb->save.rip = vmcb->control.exit_info2;
	vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
	return vm_wants_cpu_back(vcpu->vm) ? SVM_STOP : SVM_RESUME;
}
