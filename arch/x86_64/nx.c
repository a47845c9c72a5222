#include "arch/x86_64/nx.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"

#define MSR_IA32_MISC_ENABLE   0x1a0
#define MISC_ENABLE_XD_DISABLE (1ull << 34)
#define CPUID_EXT_EDX_NX       (1u << 20)

static enum nx_pretend pretend;
static enum nx_state state = NX_ABSENT;
static bool intel;

void nx_pretend(enum nx_pretend what)
{
	pretend = what;
}

static bool cpuid_nx(void)
{
	return cpuid(0x80000000, 0).eax >= 0x80000001 &&
	       (cpuid(0x80000001, 0).edx & CPUID_EXT_EDX_NX);
}

enum nx_state nx_enable(void)
{
	intel = cpu_is_intel();
	/* IA32_MISC_ENABLE is Intel's: elsewhere, reading it faults. */
	uint64_t misc = intel ? rdmsr(MSR_IA32_MISC_ENABLE) : 0;
	if (pretend != NX_PRETEND_NOTHING)
		misc |= MISC_ENABLE_XD_DISABLE;
	if (cpuid_nx() && !(misc & MISC_ENABLE_XD_DISABLE)) {
		state = NX_ON;
	} else if (misc & MISC_ENABLE_XD_DISABLE) {
		bool cleared = pretend != NX_PRETEND_XD_LOCKED &&
			       wrmsr_safe(MSR_IA32_MISC_ENABLE, misc & ~MISC_ENABLE_XD_DISABLE) &&
			       cpuid_nx();
		state = cleared ? NX_REENABLED : NX_REFUSED;
	} else {
		state = NX_ABSENT;
	}
	if (nx_on())
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
	if (state == NX_REENABLED)
		printk("kan: NX: firmware had disabled it (IA32_MISC_ENABLE XD Bit Disable); kan "
		       "re-enabled it\n");
	else if (state == NX_REFUSED)
		printk("kan: NX: firmware disabled it (IA32_MISC_ENABLE XD Bit Disable) and the "
		       "CPU refused to re-enable it: kan runs WITHOUT NX, its data is executable "
		       "(enable Execute Disable in the firmware setup)\n");
	else if (state == NX_ABSENT)
		printk("kan: NX: this CPU has no Execute Disable: kan runs WITHOUT NX, its data "
		       "is executable\n");
	return state;
}

enum nx_state nx_current(void)
{
	return state;
}

bool nx_on(void)
{
	return state == NX_ON || state == NX_REENABLED;
}

uint32_t nx_ap_flags(void)
{
	if (!nx_on())
		return 0;
	return NX_AP_SET_NXE | (intel ? NX_AP_CLEAR_XD : 0) |
	       (pretend == NX_PRETEND_XD_DISABLED ? NX_AP_PRETEND_XD : 0);
}
