/* The VM-execution, exit and entry controls kan uses, from the capability MSRs (SDM Vol. 3D,
 * A.3-A.6): pure logic, unit-tested on the host. */
#include "vmx/vmx_cpu.h"
#include "vmx/vmx_defs.h"

uint32_t vmx_adjust_controls(uint64_t capability, uint32_t wanted, uint32_t *missing)
{
	uint32_t must_be_one = (uint32_t)capability;	    /* allowed 0-settings */
	uint32_t may_be_one = (uint32_t)(capability >> 32); /* allowed 1-settings */
	*missing = wanted & ~may_be_one;
	return (wanted | must_be_one) & may_be_one;
}

static bool allowed1(uint64_t capability, uint32_t bit)
{
	return (capability >> 32) & bit;
}

bool vmx_preemption_timer_broken(uint32_t cpuid1_eax)
{
	/* Family, model and stepping, as the errata name them (SDM's CPUID.1:EAX layout). */
	static const uint32_t broken[] = {
		0x106a0, 0x106a1, 0x106a4, 0x106a5, /* Nehalem: Core i7-900, Xeon 3500/5500 */
		0x106e5,			    /* Lynnfield: Core i7-800, i5-700, Xeon 3400 */
		0x20652, 0x20655,		    /* Clarkdale/Arrandale: Core i3/i5/i7 */
		0x206e6,			    /* Nehalem-EX: Xeon 7500 */
		0x306a8,			    /* Ivy Bridge: Xeon E3-1220 v2 */
	};
	uint32_t signature = cpuid1_eax & 0x0fff3fff; /* without the reserved bits */
	for (unsigned i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		if (signature == broken[i])
			return true;
	return false;
}

void vmx_controls_use_lapic_slices(struct vmx_controls *c)
{
	c->pin &= ~PIN_PREEMPTION_TIMER;
	c->exit &= ~EXIT_SAVE_PREEMPTION_TIMER;
	c->lapic_slices = true;
}

void vmx_choose_controls(const struct vmx_caps *caps, struct vmx_controls *out)
{
	uint32_t missing;
	uint64_t p2 = caps->proc2;
	uint32_t proc2 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
	if (allowed1(p2, PROC2_ENABLE_VPID))
		proc2 |= PROC2_ENABLE_VPID;
	if (allowed1(p2, PROC2_ENABLE_RDTSCP))
		proc2 |= PROC2_ENABLE_RDTSCP;
	if (allowed1(p2, PROC2_ENABLE_INVPCID))
		proc2 |= PROC2_ENABLE_INVPCID;
	/* A guest's WBINVD would flush caches every VM shares: it becomes a no-op. */
	if (allowed1(p2, PROC2_WBINVD_EXITING))
		proc2 |= PROC2_WBINVD_EXITING;
	out->pin = vmx_adjust_controls(
		caps->pin, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER,
		&missing);
	/* Every port access and every MSR access exits: the VM owns no hardware directly. */
	out->proc = vmx_adjust_controls(caps->proc,
					PROC_HLT_EXITING | PROC_UNCONDITIONAL_IO_EXITING |
						PROC_MOV_DR_EXITING | PROC_CR8_LOAD_EXITING |
						PROC_CR8_STORE_EXITING | PROC_MWAIT_EXITING |
						PROC_MONITOR_EXITING | PROC_RDPMC_EXITING |
						PROC_ACTIVATE_SECONDARY | PROC_USE_TSC_OFFSETTING,
					&missing);
	out->proc2 = vmx_adjust_controls(p2, proc2, &missing);
	out->pause_proc = out->pause_proc2 = 0;
	if (allowed1(p2, PROC2_PAUSE_LOOP_EXITING))
		out->pause_proc2 = PROC2_PAUSE_LOOP_EXITING;
	else if (allowed1(caps->proc, PROC_PAUSE_EXITING))
		out->pause_proc = PROC_PAUSE_EXITING;
	uint32_t exit = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
			EXIT_SAVE_PREEMPTION_TIMER | EXIT_ACK_INTERRUPT_ON_EXIT;
	uint32_t entry = ENTRY_LOAD_IA32_EFER;
	if (allowed1(caps->exit, EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT) &&
	    allowed1(caps->entry, ENTRY_LOAD_IA32_PAT)) {
		exit |= EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT;
		entry |= ENTRY_LOAD_IA32_PAT;
	}
	out->exit = vmx_adjust_controls(caps->exit, exit, &missing);
	out->entry = vmx_adjust_controls(caps->entry, entry, &missing);
	out->preemption_timer_shift = caps->misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK;
	out->ept_largest_level = caps->ept_vpid & EPT_CAP_1GB_PAGES   ? 3
				 : caps->ept_vpid & EPT_CAP_2MB_PAGES ? 2
								      : 1;
}
