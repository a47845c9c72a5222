#include "kernel/msr_policy.h"
#include "arch/x86_64/cpu.h"

#define MSR_IA32_TSC	       0x010
#define MSR_IA32_BIOS_SIGN_ID  0x08b
#define MSR_IA32_MTRRCAP       0x0fe
#define MSR_IA32_MISC_ENABLE   0x1a0
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff
#define MSR_AMD64_NB_CFG       0xc001001f
#define NB_CFG_EXT_CFG	       (1ull << 46) /* "extended PCI configuration by CF8 is on" */

#define FEATURE_CONTROL_LOCKED_VMX_OFF 0x1 /* what a guest sees: locked, no VMX */
#define MISC_ENABLE_FAST_STRINGS       0x1

#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

static bool has_tsc_aux;

void msr_policy_init(void)
{
	bool rdtscp =
		cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).edx & (1u << 27));
	bool rdpid = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & (1u << 22));
	has_tsc_aux = rdtscp || rdpid;
}

bool msr_policy_has_tsc_aux(void)
{
	return has_tsc_aux;
}

enum msr_policy msr_policy(uint32_t msr, bool write)
{
	switch (msr) {
	case MSR_IA32_EFER:
	case MSR_IA32_PAT:
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_STAR:
	case MSR_IA32_LSTAR:
	case MSR_IA32_CSTAR:
	case MSR_IA32_FMASK:
	case MSR_IA32_KERNEL_GS_BASE:
		return MSR_GUEST_STATE;
	case MSR_IA32_TSC_AUX:
		return has_tsc_aux ? MSR_GUEST_STATE : MSR_REFUSE;
	case MSR_IA32_TSC:
	case MSR_IA32_FEATURE_CONTROL:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRRCAP:
	case MSR_IA32_MTRR_DEF_TYPE:
	case MSR_IA32_MISC_ENABLE:
		return write ? MSR_REFUSE : MSR_EMULATED;
	case MSR_AMD64_NB_CFG:
		/* AMD's northbridge configuration: Linux reads it with a plain RDMSR on AMD
		 * and writes it only if the bit it wants is clear, so it reads set. */
		return write || !cpu_is_amd() ? MSR_REFUSE : MSR_EMULATED;
	default:
		/* Among the refused: APIC base, MTRRs, DEBUGCTL, the VMX capability MSRs,
		 * speculation controls, and everything kan has not thought about. */
		return MSR_REFUSE;
	}
}

uint64_t msr_emulated_read(const struct vcpu *vcpu, uint32_t msr)
{
	(void)vcpu;
	switch (msr) {
	case MSR_IA32_TSC:
		return rdtsc();
	case MSR_IA32_FEATURE_CONTROL:
		return FEATURE_CONTROL_LOCKED_VMX_OFF;
	case MSR_IA32_MISC_ENABLE:
		return MISC_ENABLE_FAST_STRINGS;
	case MSR_AMD64_NB_CFG:
		return NB_CFG_EXT_CFG;
	default: /* no microcode signature, no MTRRs (CPUID says so too) */
		return 0;
	}
}

static bool canonical(uint64_t address)
{
	return (uint64_t)((int64_t)(address << 16) >> 16) == address;
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

bool msr_value_valid(uint32_t msr, uint64_t value, uint64_t old_value, bool paging)
{
	switch (msr) {
	case MSR_IA32_EFER:
		/* Reserved bits fault; LME may not change while paging is on. LMA is read-only
		 * and kept by the backend. */
		return !(value & ~(EFER_WRITABLE | EFER_LMA)) &&
		       !(((value ^ old_value) & EFER_LME) && paging);
	case MSR_IA32_PAT:
		return pat_valid(value);
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_LSTAR:
	case MSR_IA32_CSTAR:
	case MSR_IA32_KERNEL_GS_BASE:
		return canonical(value);
	case MSR_IA32_TSC_AUX:
	case MSR_IA32_FMASK:
		return !(value >> 32); /* bits 63:32 are reserved */
	case MSR_IA32_STAR:
		return true; /* every bit is a selector or a 32-bit entry point */
	default:
		return true;
	}
}
