/* AMD-V definitions (AMD64 Architecture Programmer's Manual Vol. 2, chapter 15 and appendix B):
 * CPUID, MSRs, and the VMCB layout. */
#ifndef KAN_SVM_DEFS_H
#define KAN_SVM_DEFS_H

#include <stdint.h>

#define CPUID_80000001_ECX_SVM (1u << 2)
#define CPUID_80000001_EDX_1GB (1u << 26)

/* CPUID 0x8000000A:EDX (APM Vol. 3, E.4.10). */
#define SVM_FEATURE_NPT			   (1u << 0)
#define SVM_FEATURE_NRIPS		   (1u << 3)
#define SVM_FEATURE_VMCB_CLEAN		   (1u << 5)
#define SVM_FEATURE_FLUSH_BY_ASID	   (1u << 6)
#define SVM_FEATURE_DECODE_ASSIST	   (1u << 7)
#define SVM_FEATURE_PAUSE_FILTER	   (1u << 10)
#define SVM_FEATURE_PAUSE_FILTER_THRESHOLD (1u << 12)

#define MSR_VM_CR	0xc0010114u
#define VM_CR_SVMDIS	(1u << 4)
#define VM_CR_LOCK	(1u << 3)
#define MSR_VM_HSAVE_PA 0xc0010117u
#define EFER_SVME	(1ull << 12)

#endif
