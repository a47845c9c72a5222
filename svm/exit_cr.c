/* CR0, CR4 and XSETBV: the guest's control state, held to what its CPUID offers; and the
 * #UD that may be Intel's hypercall. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/cpuid_policy.h"
#include "kernel/guest_insn.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

#define VECTOR_UD    6
#define VECTOR_GP    13
#define LEN_XSETBV   3
#define DECODE_VALID (1ull << 63) /* EXITINFO1 of a MOV CR intercept, with decode assists */
#define CR0_TS	     (1ul << 3)
#define CR4_PCIDE    (1ul << 17)

static enum svm_action fault(struct vmcb *vmcb)
{
	svm_inject_exception(vmcb, VECTOR_GP, true, 0);
	return SVM_RESUME;
}

/*
 * The value the guest's instruction writes to CRn (MOV to CRn; for CR0 also CLTS and LMSW),
 * and its length: from the decode assists where the CPU has them, else from the instruction
 * at CS:RIP, read through the guest's page tables.
 */
static bool cr_write_value(struct vcpu *vcpu, struct vmcb *vmcb, unsigned cr, uint64_t old,
			   uint64_t *value, unsigned *length)
{
	struct vmcb_save *s = &vmcb->save;
	uint64_t info = vmcb->control.exit_info1;
	if (info & DECODE_VALID) {
		unsigned gpr = info & 0xf;
		*value = gpr == GPR_RSP ? s->rsp : vcpu->regs.gpr[gpr];
		*length = 3; /* decode assists come with NRIP save, which svm_skip prefers */
		return true;
	}
	struct guest_paging p = { s->cr0, s->cr3, s->cr4, s->efer };
	struct insn insn;
	if (!guest_fetch_insn(vcpu->vm, &p, s->cs.base, s->rip, s->cs.attrib & CS_ATTR_LONG, &insn))
		return false;
	uint64_t source = insn.gpr == GPR_RSP ? s->rsp : vcpu->regs.gpr[insn.gpr];
	*length = insn.length;
	if (insn.kind == INSN_MOV_TO_CR && insn.reg == cr)
		*value = source;
	else if (insn.kind == INSN_CLTS && cr == 0)
		*value = old & ~CR0_TS;
	else if (insn.kind == INSN_LMSW && cr == 0) /* PE, MP, EM, TS; PE is never cleared */
		*value = (old & ~0xeull) | (source & 0xf) | (old & CR0_PE);
	else
		return false;
	return true;
}

/*
 * A CR0 write (MOV, CLTS, LMSW): the checks the CPU makes (SDM Vol. 2, MOV CR; APM Vol. 2, 3.1.1),
 * and the switch in and out of long mode, which an emulated write must do itself. CD and NW are the
 * guest's own: nested paging keeps its memory types to itself.
 */
enum svm_action svm_exit_cr0_write(struct vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_save *s = &vmcb->save;
	uint64_t value;
	unsigned length;
	if (!cr_write_value(vcpu, vmcb, 0, s->cr0, &value, &length))
		return svm_stop_with_report(vcpu, "a CR0 write kan cannot decode");
	if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD)))
		return fault(vmcb);
	uint64_t old = s->cr0;
	if (!(value & CR0_PG) && (old & CR0_PG) && (s->efer & EFER_LMA) &&
	    (s->cs.attrib & CS_ATTR_LONG))
		return fault(vmcb); /* paging goes off only from compatibility mode */
	if ((value & CR0_PG) && !(old & CR0_PG) && (s->efer & EFER_LME)) {
		if (!(s->cr4 & CR4_PAE))
			return fault(vmcb);
		s->efer |= EFER_LMA; /* entering long mode */
	} else if (!(value & CR0_PG) && (old & CR0_PG)) {
		s->efer &= ~EFER_LMA;
	}
	s->cr0 = value | CR0_ET;
	svm_skip(vmcb, length);
	return SVM_RESUME;
}

/*
 * MOV to CR3: the CPU's checks (reserved bits beyond the physical-address width; bit 63 only
 * with CR4.PCIDE, where it keeps the TLB), which QEMU's emulation skips and VMRUN would then
 * refuse. The write no longer flushes the guest's TLB by itself: kan asks for the flush.
 */
enum svm_action svm_exit_cr3_write(struct vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_save *s = &vmcb->save;
	uint64_t value;
	unsigned length;
	if (!cr_write_value(vcpu, vmcb, 3, s->cr3, &value, &length))
		return svm_stop_with_report(vcpu, "a CR3 write kan cannot decode");
	bool keep_tlb = false;
	if (s->efer & EFER_LMA) {
		static uint64_t reserved;
		if (!reserved)
			reserved = ~0ull << (cpuid(0x80000008, 0).eax & 0xff);
		if ((s->cr4 & CR4_PCIDE) && (value >> 63)) {
			keep_tlb = true;
			value &= ~(1ull << 63);
		}
		if (value & reserved)
			return fault(vmcb);
	} else {
		value = (uint32_t)value;
	}
	s->cr3 = value;
	if (!keep_tlb)
		vmcb->control.tlb_control = svm_caps.features & SVM_FEATURE_FLUSH_BY_ASID
						    ? SVM_TLB_FLUSH_GUEST_NON_GLOBAL
						    : SVM_TLB_FLUSH_ALL;
	svm_skip(vmcb, length);
	return SVM_RESUME;
}

/* MOV to CR4: only bits of features the guest's CPUID offers; PAE stays while in long mode. */
enum svm_action svm_exit_cr4_write(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t value;
	unsigned length;
	if (!cr_write_value(vcpu, vmcb, 4, vmcb->save.cr4, &value, &length))
		return svm_stop_with_report(vcpu, "a CR4 write kan cannot decode");
	if (value & ~cpuid_policy_cr4_allowed())
		return fault(vmcb);
	if (!(value & CR4_PAE) && (vmcb->save.efer & EFER_LMA))
		return fault(vmcb);
	vcpu->osxsave = value & CR4_OSXSAVE;
	vmcb->save.cr4 = value;
	svm_skip(vmcb, length);
	return SVM_RESUME;
}

/*
 * A #UD the guest raised: its own, unless it is Intel's hypercall instruction, which kan
 * answers as it answers VMMCALL, so that a guest written for VT-x runs here unchanged.
 */
enum svm_action svm_exit_ud_exception(struct vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_save *s = &vmcb->save;
	struct guest_paging p = { s->cr0, s->cr3, s->cr4, s->efer };
	struct insn insn;
	if (guest_fetch_insn(vcpu->vm, &p, s->cs.base, s->rip, s->cs.attrib & CS_ATTR_LONG,
			     &insn) &&
	    insn.kind == INSN_VMCALL)
		return svm_hypercall(vcpu, vmcb, insn.length);
	svm_inject_exception(vmcb, VECTOR_UD, false, 0);
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
