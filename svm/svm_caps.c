/* What this CPU's AMD-V offers (CPUID 0x8000000A), and whether kan can run on it. */
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/string.h"
#include "kernel/msr_policy.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

struct svm_caps svm_caps;
static const char *why_not = "not probed";

bool svm_present(void)
{
	return cpuid(0x80000000, 0).eax >= 0x8000000a &&
	       (cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM);
}

struct svm_feature {
	const char *name;
	bool present;
	bool needed;
};

bool svm_probe(void)
{
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	svm_caps.revision = r.eax & 0xff;
	svm_caps.asids = r.ebx;
	svm_caps.features = r.edx;
	svm_caps.one_gib_pages = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_1GB;
	const struct svm_feature features[] = {
		{ "nested paging", r.edx & SVM_FEATURE_NPT, true },
		{ "NRIP save", r.edx & SVM_FEATURE_NRIPS, false },
		{ "decode assists", r.edx & SVM_FEATURE_DECODE_ASSIST, false },
		{ "VMCB clean bits", r.edx & SVM_FEATURE_VMCB_CLEAN, false },
		{ "flush by ASID", r.edx & SVM_FEATURE_FLUSH_BY_ASID, false },
		{ "pause filter", r.edx & SVM_FEATURE_PAUSE_FILTER, false },
		{ "pause filter threshold", r.edx & SVM_FEATURE_PAUSE_FILTER_THRESHOLD, false },
		{ "1 GiB nested pages", svm_caps.one_gib_pages, false },
	};
	char have[160] = "", lack[160] = "";
	bool ok = true;
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct svm_feature *f = &features[i];
		char *list = f->present ? have : lack;
		size_t used = strlen(list);
		ksnprintf(list + used, 160 - used, "%s%s", used ? ", " : "", f->name);
		if (!f->present && f->needed)
			ok = false;
	}
	printk("kan: AMD-V: revision %u, %u ASIDs; has %s; lacks %s\n", svm_caps.revision,
	       svm_caps.asids, have[0] ? have : "nothing", lack[0] ? lack : "nothing");
	if (!ok) {
		printk("kan: AMD-V: missing what kan needs: nested paging\n");
		why_not = "AMD-V without nested paging (CPUID 8000000Ah:EDX.NP is 0)";
		return false;
	}
	uint64_t vm_cr = rdmsr(MSR_VM_CR);
	if (vm_cr & VM_CR_SVMDIS) {
		printk("kan: AMD-V: disabled by the firmware (VM_CR.SVMDIS is set%s): turn SVM "
		       "on in the firmware setup\n",
		       vm_cr & VM_CR_LOCK ? " and locked" : "");
		why_not = "AMD-V disabled by the firmware (VM_CR.SVMDIS)";
		return false;
	}
	if (svm_caps.asids < 2) {
		printk("kan: AMD-V: only %u ASIDs: kan needs one for itself and one for guests\n",
		       svm_caps.asids);
		why_not = "AMD-V with fewer than 2 ASIDs";
		return false;
	}
	svm_lazy_tsc_aux = msr_policy_has_tsc_aux();
	return true;
}

const char *svm_why_not(void)
{
	return why_not;
}
