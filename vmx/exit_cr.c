/*
 * Control-register writes that touch bits kan owns (the CR0/CR4 guest/host masks). The
 * guest keeps its own view in the read shadows; the real value adds what VT-x requires.
 * A shadow is the guest's only for the masked bits: the guest changes the others (CR4.PAE
 * among them) without an exit, so their current value is in GUEST_CR0/GUEST_CR4.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/cpuid_policy.h"
#include "kernel/vintr.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

/* Exit qualification for control-register accesses (SDM Vol. 3C, Table 28-3). */
#define CR_NUMBER(q)	((q)&0xf)
#define CR_ACCESS(q)	(((q) >> 4) & 0x3)
#define CR_GPR(q)	(((q) >> 8) & 0xf)
#define CR_LMSW_DATA(q) (((q) >> 16) & 0xffff)
enum { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

#define CR0_TS (1ul << 3)

static uint64_t read_gpr(struct vcpu *vcpu, unsigned n)
{
	return n == GPR_RSP ? vmcs_read(GUEST_RSP) : vcpu->regs.gpr[n];
}

static void write_gpr(struct vcpu *vcpu, unsigned n, uint64_t value)
{
	if (n == GPR_RSP)
		vmcs_write(GUEST_RSP, value);
	else
		vcpu->regs.gpr[n] = value;
}

static enum exit_action fault(void)
{
	vmx_inject_exception(VECTOR_GP, true, 0);
	return EXIT_RESUME;
}

uint64_t vmx_guest_cr4_allowed(void)
{
	static uint64_t allowed;
	if (!allowed)
		allowed = cpuid_policy_cr4_allowed() & vmx_caps.cr4_fixed1 & ~CR4_VMXE;
	return allowed;
}

/*
 * With EPT, a guest using PAE paging (CR0.PG, CR4.PAE, not IA-32e mode) has its four PDPTEs
 * loaded from the VMCS on VM entry (SDM 26.3.2.4), so a CR0, CR3 or CR4 write that kan
 * emulates must load them as the CPU would, from the 32-byte table at CR3, and #GP on a
 * present entry with reserved bits set (SDM Vol. 3A, 4.4.1). False: #GP, nothing changed.
 */
static bool load_pdptes(struct vcpu *vcpu, uint64_t cr0, uint64_t cr3, uint64_t cr4)
{
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vmcs_read(GUEST_IA32_EFER) & EFER_LME))
		return true;
	static uint64_t reserved;
	if (!reserved) {
		unsigned maxphys = cpuid(0x80000008, 0).eax & 0xff;
		reserved = 0x1e6ull | (~0ull << maxphys);
	}
	const uint64_t *table = vm_guest_ptr(vcpu->vm, cr3 & 0xffffffe0ull, 32);
	if (!table)
		return false;
	uint64_t pdpte[4];
	for (unsigned i = 0; i < 4; i++) {
		pdpte[i] = table[i];
		if ((pdpte[i] & 1) && (pdpte[i] & reserved))
			return false;
	}
	for (unsigned i = 0; i < 4; i++)
		vmcs_write(GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return true;
}

static enum exit_action set_cr0(struct vcpu *vcpu, uint64_t value)
{
	struct vmx_vcpu *vx = vcpu->backend;
	uint64_t old = vmcs_read(CR0_READ_SHADOW);
	if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD)))
		return fault(); /* what the CPU itself does with these (SDM Vol. 2, MOV CR) */
	uint64_t efer = vmcs_read(GUEST_IA32_EFER);
	/* Paging cannot be turned off from 64-bit code, only from compatibility mode. */
	if (!(value & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA) &&
	    (vmcs_read(GUEST_CS_AR_BYTES) & CS_AR_LONG_MODE))
		return fault();
	if ((value & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		if (!(vmcs_read(GUEST_CR4) & CR4_PAE))
			return fault();
		efer |= EFER_LMA; /* entering IA-32e mode */
		vx->entry_controls |= ENTRY_IA32E_MODE_GUEST;
	} else if (!(value & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		efer &= ~EFER_LMA;
		vx->entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
	}
	if (!load_pdptes(vcpu, value, vmcs_read(GUEST_CR3), vmcs_read(GUEST_CR4)))
		return fault();
	vmcs_write(GUEST_IA32_EFER, efer);
	vmcs_write(VM_ENTRY_CONTROLS, vx->entry_controls);
	vmcs_write(CR0_READ_SHADOW, value);
	/* CD and NW are never loaded on VM entry or exit (SDM 26.3.2.1): they would reach the
	 * real CPU and every VM on it. The guest keeps them in its shadow only. */
	vmcs_write(GUEST_CR0, vmx_fixed_cr0(value & ~(CR0_CD | CR0_NW), true));
	vmx_skip_instruction();
	return EXIT_RESUME;
}

static enum exit_action set_cr4(struct vcpu *vcpu, uint64_t value)
{
	/* Only bits of features the guest's CPUID offers and this CPU has (never VMXE). */
	if (value & ~vmx_guest_cr4_allowed())
		return fault();
	if (!(value & CR4_PAE) && (vmcs_read(GUEST_IA32_EFER) & EFER_LMA))
		return fault();
	if (!load_pdptes(vcpu, vmcs_read(CR0_READ_SHADOW), vmcs_read(GUEST_CR3), value))
		return fault();
	vcpu->osxsave = value & CR4_OSXSAVE;
	vmcs_write(CR4_READ_SHADOW, value);
	vmcs_write(GUEST_CR4, vmx_fixed_cr4(value));
	vmx_skip_instruction();
	return EXIT_RESUME;
}

enum exit_action vmx_exit_cr_access(struct vcpu *vcpu)
{
	uint64_t q = vmcs_read(EXIT_QUALIFICATION);
	unsigned cr = CR_NUMBER(q), gpr = CR_GPR(q);
	switch (CR_ACCESS(q)) {
	case CR_MOV_TO:
		if (cr == 0)
			return set_cr0(vcpu, read_gpr(vcpu, gpr));
		if (cr == 4)
			return set_cr4(vcpu, read_gpr(vcpu, gpr));
		if (cr == 3) {
			uint64_t cr3 = read_gpr(vcpu, gpr);
			if (!load_pdptes(vcpu, vmcs_read(CR0_READ_SHADOW), cr3,
					 vmcs_read(GUEST_CR4)))
				return fault();
			vmcs_write(GUEST_CR3, cr3);
			vmx_skip_instruction();
			return EXIT_RESUME;
		}
		if (cr == 8) {
			/* A virtual task priority: the real one is kan's (its idle wake-up). */
			uint64_t tpr = read_gpr(vcpu, gpr);
			if (tpr > 15)
				return fault();
			if (!vintr_cr8(vcpu, true, &tpr)) /* with a local APIC: its TPR */
				((struct vmx_vcpu *)vcpu->backend)->cr8 = (uint8_t)tpr;
			vmx_skip_instruction();
			return EXIT_RESUME;
		}
		break;
	case CR_MOV_FROM:
		if (cr == 8) {
			uint64_t tpr = ((struct vmx_vcpu *)vcpu->backend)->cr8;
			vintr_cr8(vcpu, false, &tpr);
			write_gpr(vcpu, gpr, tpr);
			vmx_skip_instruction();
			return EXIT_RESUME;
		}
		if (cr == 3) {
			write_gpr(vcpu, gpr, vmcs_read(GUEST_CR3));
			vmx_skip_instruction();
			return EXIT_RESUME;
		}
		break;
	case CR_CLTS:
		return set_cr0(vcpu, vmcs_read(CR0_READ_SHADOW) & ~CR0_TS);
	case CR_LMSW: {
		/* LMSW loads PE, MP, EM, TS but can never clear PE. */
		uint64_t old = vmcs_read(CR0_READ_SHADOW), src = CR_LMSW_DATA(q) & 0xf;
		return set_cr0(vcpu, (old & ~0xeul) | src | (old & CR0_PE));
	}
	}
	return vmx_stop_with_report(vcpu, VMX_EXIT_REASON_CR_ACCESS,
				    "a control-register access kan does not emulate");
}

/*
 * XSETBV (SDM Vol. 2, XSETBV): XCR0 is the vCPU's own, held in the CPU while it runs
 * (vmx_switch_owner). The checks are the instruction's, with the components kan offers.
 */
enum exit_action vmx_exit_xsetbv(struct vcpu *vcpu)
{
	if (!(vmcs_read(GUEST_CR4) & CR4_OSXSAVE)) {
		vmx_inject_exception(VECTOR_UD, false, 0);
		return EXIT_RESUME;
	}
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	unsigned cpl = (vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3;
	if (cpl != 0 || (uint32_t)vcpu->regs.rcx != 0 || !xstate_xcr0_valid(value))
		return fault();
	vcpu->xcr0 = value;
	xsetbv(0, value);
	vmx_skip_instruction();
	return EXIT_RESUME;
}
