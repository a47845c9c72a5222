/*
 * RDMSR/WRMSR: every MSR access exits. The few MSRs VT-x switches per guest are emulated in
 * the VMCS; every other MSR raises #GP, as on a CPU that lacks it.
 */
#include "arch/x86_64/cpu.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

#define MSR_IA32_TSC 0x10

#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

static enum exit_action refuse(void)
{
	vmx_inject_exception(VECTOR_GP, true, 0);
	return EXIT_RESUME;
}

/* The VMCS field backing an MSR, or 0 if none does. */
static enum vmcs_field msr_field(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS: return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return GUEST_SYSENTER_EIP;
	case MSR_IA32_FS_BASE: return GUEST_FS_BASE;
	case MSR_IA32_GS_BASE: return GUEST_GS_BASE;
	case MSR_IA32_EFER: return GUEST_IA32_EFER;
	case MSR_IA32_PAT:
		return vmx_controls.entry & ENTRY_LOAD_IA32_PAT ? GUEST_IA32_PAT : 0;
	default: return 0;
	}
}

/* Each PAT byte must name a memory type that exists: 0, 1, 4, 5, 6 or 7 (SDM 13.12.2). */
static bool pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		uint8_t type = (uint8_t)(pat >> (8 * i));
		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

enum exit_action vmx_exit_msr_read(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.rcx;
	uint64_t value;
	enum vmcs_field field = msr_field(msr);
	if (field)
		value = vmcs_read(field);
	else if (msr == MSR_IA32_TSC)
		value = rdtsc();
	else
		return refuse();
	vcpu->regs.rax = (uint32_t)value;
	vcpu->regs.rdx = value >> 32;
	vmx_skip_instruction();
	return EXIT_RESUME;
}

enum exit_action vmx_exit_msr_write(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.rcx;
	uint64_t value = (vcpu->regs.rdx << 32) | (uint32_t)vcpu->regs.rax;
	enum vmcs_field field = msr_field(msr);
	if (!field)
		return refuse();
	if (msr == MSR_IA32_EFER) {
		uint64_t old = vmcs_read(GUEST_IA32_EFER);
		/* Reserved bits fault; LME may not change while paging is on; LMA is read-only. */
		if ((value & ~(EFER_WRITABLE | EFER_LMA)) ||
		    (((value ^ old) & EFER_LME) && (vmcs_read(CR0_READ_SHADOW) & CR0_PG)))
			return refuse();
		value = (value & EFER_WRITABLE) | (old & EFER_LMA);
	} else if ((msr == MSR_IA32_FS_BASE || msr == MSR_IA32_GS_BASE ||
		    msr == MSR_IA32_SYSENTER_ESP || msr == MSR_IA32_SYSENTER_EIP) &&
		   (uint64_t)((int64_t)(value << 16) >> 16) != value) {
		return refuse(); /* non-canonical address */
	} else if (msr == MSR_IA32_PAT && !pat_valid(value)) {
		return refuse();
	}
	vmcs_write(field, value);
	vmx_skip_instruction();
	return EXIT_RESUME;
}
