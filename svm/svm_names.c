/* Names of AMD-V exit codes (APM Vol. 2, appendix C), for reports. */
#include "svm/svm_cpu.h"

static const char *const names[SVM_EXIT_INDEX_NPF] = {
	[SVM_EXIT_CR3_WRITE] = "CR3 write",
	[SVM_EXIT_CR4_WRITE] = "CR4 write",
	[SVM_EXIT_EXCEPTION + 6] = "#UD",
	[SVM_EXIT_EXCEPTION + 18] = "#MC",
	[SVM_EXIT_CR0_WRITE] = "CR0 write",
	[SVM_EXIT_INTR] = "INTR",
	[SVM_EXIT_NMI] = "NMI",
	[SVM_EXIT_SMI] = "SMI",
	[SVM_EXIT_INIT] = "INIT",
	[SVM_EXIT_VINTR] = "VINTR",
	[SVM_EXIT_RDPMC] = "RDPMC",
	[SVM_EXIT_CPUID] = "CPUID",
	[SVM_EXIT_INVD] = "INVD",
	[SVM_EXIT_PAUSE] = "PAUSE",
	[SVM_EXIT_HLT] = "HLT",
	[SVM_EXIT_INVLPGA] = "INVLPGA",
	[SVM_EXIT_IOIO] = "IOIO",
	[SVM_EXIT_MSR] = "MSR",
	[SVM_EXIT_TASK_SWITCH] = "task switch",
	[SVM_EXIT_SHUTDOWN] = "shutdown",
	[SVM_EXIT_VMRUN] = "VMRUN",
	[SVM_EXIT_VMMCALL] = "VMMCALL",
	[SVM_EXIT_VMLOAD] = "VMLOAD",
	[SVM_EXIT_VMSAVE] = "VMSAVE",
	[SVM_EXIT_STGI] = "STGI",
	[SVM_EXIT_CLGI] = "CLGI",
	[SVM_EXIT_SKINIT] = "SKINIT",
	[SVM_EXIT_WBINVD] = "WBINVD",
	[SVM_EXIT_MONITOR] = "MONITOR",
	[SVM_EXIT_MWAIT] = "MWAIT",
	[SVM_EXIT_MWAIT_ARMED] = "MWAIT (armed)",
	[SVM_EXIT_XSETBV] = "XSETBV",
};

const char *svm_exit_code_name(uint64_t code)
{
	if (code == SVM_EXIT_NPF)
		return "nested page fault";
	if (code == SVM_EXIT_INVALID)
		return "VMEXIT_INVALID";
	if (code < SVM_EXIT_INDEX_NPF && names[code])
		return names[code];
	return "unknown exit code";
}
