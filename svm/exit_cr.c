/* CR4 writes and XSETBV: the guest's control state, held to what its CPUID offers. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/cpuid_policy.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

#define VECTOR_UD     6
#define VECTOR_GP     13
#define LEN_XSETBV    3
#define LEN_MOV_CR    3		   /* 0f 22 /r */
#define DECODE_VALID  (1ull << 63) /* EXITINFO1 of a MOV CR intercept, with decode assists */
#define DECODE_GPR(i) ((unsigned)(i)&0xf)

static enum svm_action fault(struct vmcb *vmcb)
{
	svm_inject_exception(vmcb, VECTOR_GP, true, 0);
	return SVM_RESUME;
}

static uint64_t read_gpr(struct vcpu *vcpu, struct vmcb *vmcb, unsigned n)
{
	return n == GPR_RSP ? vmcb->save.rsp : vcpu->regs.gpr[n];
}

/* MOV to CR4: only bits of features the guest's CPUID offers; PAE stays while in long mode. */
enum svm_action svm_exit_cr4_write(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exit_info1;
	if (!(info & DECODE_VALID))
		return svm_stop_with_report(vcpu, "a CR4 write kan cannot decode");
	uint64_t value = read_gpr(vcpu, vmcb, DECODE_GPR(info));
	if (value & ~cpuid_policy_cr4_allowed())
		return fault(vmcb);
	if (!(value & CR4_PAE) && (vmcb->save.efer & EFER_LMA))
		return fault(vmcb);
	vcpu->osxsave = value & CR4_OSXSAVE;
	vmcb->save.cr4 = value;
	svm_skip(vmcb, LEN_MOV_CR);
	return SVM_RESUME;
}

/*
 * XSETBV (SDM Vol. 2, XSETBV): XCR0 is the vCPU's own, held in the CPU while it owns it
 * (svm_run.c). The checks are the instruction's, with the components kan offers.
 */
enum svm_action svm_exit_xsetbv(struct vcpu *vcpu, struct vmcb *vmcb)
{
	if (!(vmcb->save.cr4 & CR4_OSXSAVE)) {
		svm_inject_exception(vmcb, VECTOR_UD, false, 0);
		return SVM_RESUME;
	}
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	if (vmcb->save.cpl != 0 || (uint32_t)vcpu->regs.rcx != 0 || !xstate_xcr0_valid(value))
		return fault(vmcb);
	vcpu->xcr0 = value;
	xsetbv(0, value);
	svm_skip(vmcb, LEN_XSETBV);
	return SVM_RESUME;
}
