/*
 * Speculative-execution side channels between VMs: what kan does about them on this CPU.
 * The decision (spec_policy_decide) is pure logic from what the CPU reports, unit-tested on
 * the host; the actions run on every switch between VMs and before entering a guest.
 * docs/security.md explains the policy and what is untested.
 */
#ifndef KAN_KERNEL_SPEC_POLICY_H
#define KAN_KERNEL_SPEC_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* CPUID.(7,0):EDX bits (SDM Vol. 2A, CPUID). */
#define CPUID_7_EDX_MD_CLEAR	      (1u << 10)
#define CPUID_7_EDX_IBRS_IBPB	      (1u << 26)
#define CPUID_7_EDX_STIBP	      (1u << 27)
#define CPUID_7_EDX_L1D_FLUSH	      (1u << 28)
#define CPUID_7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID_7_EDX_SSBD	      (1u << 31)
/* CPUID 0x80000008:EBX (AMD APM Vol. 3, E.4.7): IBPB through MSR 0x49, as on Intel. */
#define CPUID_80000008_EBX_IBPB (1u << 12)

/* IA32_ARCH_CAPABILITIES bits. */
#define ARCH_CAP_RDCL_NO	    (1ull << 0) /* not affected by L1TF / Meltdown */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ull << 3) /* a nested hypervisor flushes for us */
#define ARCH_CAP_MDS_NO		    (1ull << 5)
#define ARCH_CAP_TAA_NO		    (1ull << 8)

#define MSR_IA32_PRED_CMD	   0x049
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_FLUSH_CMD	   0x10b
#define PRED_CMD_IBPB		   1
#define FLUSH_CMD_L1D		   1

/* What the CPU reports. */
struct spec_cpu {
	bool amd; /* AMD or Hygon: not affected by L1TF or MDS/TAA */
	uint32_t cpuid7_edx;
	uint32_t cpuid_80000008_ebx; /* 0 where the leaf does not exist */
	uint64_t arch_capabilities;  /* 0 when CPUID says there is no such MSR */
};

struct spec_policy {
	bool ibpb_on_vm_switch;	 /* drop branch predictions when a CPU goes to another VM */
	bool l1d_flush_on_entry; /* flush L1D before entering a guest from the scheduler */
	bool verw_on_entry;	 /* clear CPU buffers (MDS, TAA) the same way */
	bool l1tf_unmitigated;	 /* affected by L1TF and no flush command: said at boot */
	bool mds_unmitigated;	 /* affected by MDS/TAA and no VERW clearing: said at boot */
};

struct spec_policy spec_policy_decide(const struct spec_cpu *cpu);

/* On the boot CPU: reads the CPU, decides, prints one line. */
void spec_policy_init(void);
/* On the CPU that is about to run a vCPU of a different VM than the last one it ran. */
void spec_on_vm_switch(void);
/* Before a VM entry that follows a return to kan's scheduler. */
void spec_before_entry(void);
/* The policy in force, for the shell and the tests. */
extern struct spec_policy spec_policy;

#endif
