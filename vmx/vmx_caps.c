/* What VT-x this CPU offers, what kan needs of it, and the controls kan will use (one report). */
#include "arch/x86_64/cpu.h"
#include "kernel/msr_policy.h"
#include "kernel/selftest.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/vcpu_backend.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

struct vmx_caps vmx_caps;
struct vmx_controls vmx_controls;
static const char *why_not = "";
static char why_not_text[300];

#define CPUID_1_ECX_VMX (1u << 5)

static bool allowed1(uint64_t capability, uint32_t bit)
{
	return (capability >> 32) & bit;
}

static void read_caps(struct vmx_caps *c)
{
	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->revision = (uint32_t)c->basic & 0x7fffffff;
	bool true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	c->misc = rdmsr(MSR_IA32_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	bool secondary = allowed1(c->proc, PROC_ACTIVATE_SECONDARY);
	c->proc2 = secondary ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0;
	bool ept_or_vpid =
		allowed1(c->proc2, PROC2_ENABLE_EPT) || allowed1(c->proc2, PROC2_ENABLE_VPID);
	c->ept_vpid = ept_or_vpid ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
}

uint64_t vmx_fixed_cr0(uint64_t value, bool unrestricted)
{
	uint64_t fixed0 = vmx_caps.cr0_fixed0;
	if (unrestricted)
		fixed0 &= ~(CR0_PE | CR0_PG); /* SDM 26.3.1.1 */
	return (value | fixed0) & vmx_caps.cr0_fixed1;
}

uint64_t vmx_fixed_cr4(uint64_t value)
{
	return (value | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

struct feature {
	const char *name;
	bool present;
	const char *use; /* "needs", "uses" or "-" */
};

static bool report(const struct feature *f, unsigned n)
{
	bool ok = true;
	printk("kan: VT-x: revision 0x%x, TRUE capability MSRs %s\n", vmx_caps.revision,
	       vmx_caps.basic & VMX_BASIC_TRUE_CTLS ? "yes" : "no");
	printk("kan:   %-34s %-4s %s\n", "feature", "CPU", "kan");
	for (unsigned i = 0; i < n; i++) {
		printk("kan:   %-34s %-4s %s\n", f[i].name, f[i].present ? "yes" : "no", f[i].use);
		if (!f[i].present && f[i].use[0] == 'n')
			ok = false;
	}
	if (!ok) {
		char missing[256];
		unsigned len = 0;
		for (unsigned i = 0; i < n; i++) {
			if (f[i].present || f[i].use[0] != 'n')
				continue;
			const char *s = f[i].name;
			if (len)
				missing[len++] = ',', missing[len++] = ' ';
			while (*s && len < sizeof(missing) - 3)
				missing[len++] = *s++;
		}
		missing[len] = '\0';
		printk("kan: VT-x: missing what kan needs: %s\n", missing);
		ksnprintf(why_not_text, sizeof(why_not_text), "VT-x lacks %s", missing);
		why_not = why_not_text;
	}
	return ok;
}

static bool feature_control_allows_vmx(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	printk("kan: VT-x: IA32_FEATURE_CONTROL 0x%lx: %s\n", fc,
	       !(fc & FEATURE_CONTROL_LOCKED)	      ? "open (kan enables VMX and locks it)"
	       : fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX ? "locked, VMX allowed"
						      : "locked with VMX off by the firmware");
	if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		why_not = "VT-x is locked off by the firmware (IA32_FEATURE_CONTROL)";
		printk("kan: VT-x: the firmware locked IA32_FEATURE_CONTROL (0x%lx) with VMX off.\n"
		       "kan:   Enable \"Intel Virtualization Technology\" (VT-x) in the firmware "
		       "setup, then boot kan again.\n",
		       fc);
		return false;
	}
	return true;
}

/* The controls kan uses on every CPU (vmx/vmx_controls.c). */
static void choose_controls(void)
{
	vmx_choose_controls(&vmx_caps, &vmx_controls);
}

bool vmx_probe(void)
{
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		printk("kan: VT-x: not available: CPUID.1:ECX.VMX[bit 5] is 0.\n"
		       "kan:   This CPU (or emulator) offers no Intel VT-x; kan needs it. Use a "
		       "VT-x\n"
		       "kan:   machine, QEMU with KVM and nested VT-x, or Bochs.\n");
		why_not = "no VT-x (CPUID.1:ECX.VMX is 0)";
		return false;
	}
	if (!feature_control_allows_vmx())
		return false;
	read_caps(&vmx_caps);
	uint64_t ev = vmx_caps.ept_vpid;
	bool save_timer = allowed1(vmx_caps.exit, EXIT_SAVE_PREEMPTION_TIMER);
	uint32_t signature = cpuid(1, 0).eax;
	bool timer_broken = vmx_preemption_timer_broken(signature) ||
			    selftest_active() == SELFTEST_NO_PREEMPTION_TIMER;
	const struct feature features[] = {
		{ "secondary controls", allowed1(vmx_caps.proc, PROC_ACTIVATE_SECONDARY), "needs" },
		{ "EPT", allowed1(vmx_caps.proc2, PROC2_ENABLE_EPT), "needs" },
		{ "EPT 4-level walk, write-back",
		  (ev & EPT_CAP_WALK_4) && (ev & EPT_CAP_MEMTYPE_WB), "needs" },
		{ "INVEPT (single or all contexts)",
		  (ev & EPT_CAP_INVEPT) && (ev & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)),
		  "needs" },
		{ "unrestricted guest", allowed1(vmx_caps.proc2, PROC2_UNRESTRICTED_GUEST),
		  "needs" },
		{ "load/save IA32_EFER",
		  allowed1(vmx_caps.exit, EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_EFER) &&
			  allowed1(vmx_caps.entry, ENTRY_LOAD_IA32_EFER),
		  "needs" },
		{ "preemption timer (saved on exit)",
		  allowed1(vmx_caps.pin, PIN_PREEMPTION_TIMER) && save_timer && !timer_broken,
		  timer_broken ? "-" : "needs" },
		{ "unconditional I/O exiting",
		  allowed1(vmx_caps.proc, PROC_UNCONDITIONAL_IO_EXITING), "needs" },
		{ "VPID", allowed1(vmx_caps.proc2, PROC2_ENABLE_VPID), "uses" },
		{ "EPT 2 MiB pages", ev & EPT_CAP_2MB_PAGES, "uses" },
		{ "EPT 1 GiB pages", ev & EPT_CAP_1GB_PAGES, "uses" },
		{ "load/save IA32_PAT", allowed1(vmx_caps.entry, ENTRY_LOAD_IA32_PAT), "uses" },
		{ "PAUSE-loop exiting", allowed1(vmx_caps.proc2, PROC2_PAUSE_LOOP_EXITING),
		  "uses" },
		{ "PAUSE exiting (without the above)", allowed1(vmx_caps.proc, PROC_PAUSE_EXITING),
		  allowed1(vmx_caps.proc2, PROC2_PAUSE_LOOP_EXITING) ? "-" : "uses" },
		{ "EPT accessed/dirty bits", ev & EPT_CAP_ACCESSED_DIRTY, "-" },
		{ "APIC-register virtualization", allowed1(vmx_caps.proc2, 1u << 8), "-" },
	};
	if (!report(features, sizeof(features) / sizeof(features[0])))
		return false;
	choose_controls();
	if (timer_broken) {
		vmx_controls_use_lapic_slices(&vmx_controls);
		printk("kan: VT-x: the preemption timer of this CPU (signature 0x%x) does not "
		       "count "
		       "as stated (Intel errata AAT59, AAK139, BA86...)%s: the LAPIC timer ends "
		       "slices instead\n",
		       signature,
		       selftest_active() == SELFTEST_NO_PREEMPTION_TIMER ? " or selftest says so"
									 : "");
	}
	if (msr_policy_has_tsc_aux())
		vmx_lazy_msr_count = VMX_LAZY_MSRS;
	return true;
}

const char *vmx_why_not(void)
{
	return why_not;
}

bool vmx_present(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_VMX;
}
