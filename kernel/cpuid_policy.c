/*
 * The CPU a guest sees (docs/security.md): the host's model and caches, one logical
 * processor, and only the features kan virtualizes or that need nothing from kan. Feature
 * bits are allow-listed, so a new CPU's new features stay hidden until kan knows them.
 */
#include "kernel/cpuid_policy.h"
#include "arch/x86_64/xstate.h"
#include "kernel/cpuid_extended.h"
#include "kernel/time.h"

#include <stdbool.h>

/* CPUID.1:ECX and EDX (Intel SDM Vol. 2A, Table 3-10 and 3-11). */
#define LEAF1_ECX_ALLOWED                                                                          \
	((1u << 0) /* SSE3 */ | (1u << 1) /* PCLMULQDQ */ | (1u << 9) /* SSSE3 */ |                \
	 (1u << 13) /* CMPXCHG16B */ | (1u << 19) /* SSE4.1 */ | (1u << 20) /* SSE4.2 */ |         \
	 (1u << 22) /* MOVBE */ | (1u << 23) /* POPCNT */ | (1u << 25) /* AES */ |                 \
	 (1u << 29) /* F16C needs AVX: hidden below */ | (1u << 30) /* RDRAND */)
#define LEAF1_ECX_FMA	       (1u << 12)
#define LEAF1_ECX_XSAVE	       (1u << 26)
#define LEAF1_ECX_OSXSAVE      (1u << 27)
#define LEAF1_ECX_AVX	       (1u << 28)
#define LEAF1_ECX_F16C	       (1u << 29)
#define LEAF1_ECX_HYPERVISOR   (1u << 31)
#define LEAF1_ECX_X2APIC       (1u << 21)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_EDX_APIC	       (1u << 9)
/* Everything but APIC (9), MTRR (12), MCA (14), DS (21), ACPI (22), HTT (28), TM (29), PBE (31). */
#define LEAF1_EDX_HIDDEN                                                                           \
	((1u << 9) | (1u << 12) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 28) | (1u << 29) | \
	 (1u << 31))
/* CPUID.(7,0):EBX: FSGSBASE, BMI1, SMEP, BMI2, ERMS, INVPCID, RDSEED, ADX, SMAP, CLFLUSHOPT. */
#define LEAF7_EBX_ALLOWED                                                                          \
	((1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 18) |     \
	 (1u << 19) | (1u << 20) | (1u << 23))
#define LEAF7_EBX_AVX2 (1u << 5)
/* AVX-512 F, DQ, IFMA, CD, BW, VL; in ECX VBMI, VBMI2, GFNI, VAES, VPCLMULQDQ, VNNI, BITALG,
 * VPOPCNTDQ: instructions on the ZMM and opmask state, which kan switches. */
#define LEAF7_EBX_AVX512                                                                           \
	((1u << 16) | (1u << 17) | (1u << 21) | (1u << 28) | (1u << 30) | (1u << 31))
#define LEAF7_ECX_AVX512                                                                           \
	((1u << 1) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12) |    \
	 (1u << 14))
#define LEAF7_EBX_FSGSBASE (1u << 0)
#define LEAF7_EBX_SMEP	   (1u << 7)
#define LEAF7_EBX_SMAP	   (1u << 20)

/* Leaf 0xD, subleaf 1:EAX: XSAVEOPT, XSAVEC and XGETBV with ECX=1 need nothing from kan;
 * XSAVES would need IA32_XSS and is not offered. */
#define LEAFD1_EAX_ALLOWED ((1u << 0) | (1u << 1) | (1u << 2))

/* Leaves that describe what kan does not give a guest: the PMU, thermal and power
 * management, extended topology; answered with zeros. */
static bool hidden_leaf(uint32_t leaf)
{
	return leaf == 0x5 || leaf == 0x6 || leaf == 0xa || leaf == 0xb || leaf == 0x1f ||
	       (leaf > 0x40000000u && leaf < 0x80000000u);
}

/* The TSC frequency leaves, so that a guest (Linux: native_calibrate_tsc) need not measure:
 * 0x15 says TSC = crystal * EBX / EAX with a 1 kHz crystal, so EBX is the TSC in kHz; 0x16
 * gives base and maximum frequency in MHz and a 100 MHz bus. */
#define LEAF_TSC_CRYSTAL 0x15
#define LEAF_FREQUENCY	 0x16

static struct cpuid_regs tsc_leaf(uint32_t leaf)
{
	uint32_t khz = (uint32_t)(time_tsc_hz() / 1000);
	if (leaf == LEAF_TSC_CRYSTAL)
		return (struct cpuid_regs){ 1, khz, 1000, 0 };
	return (struct cpuid_regs){ khz / 1000, khz / 1000, 100, 0 };
}

/* Leaf 1:ECX: the fixed list, and the XSAVE family where kan switches that state. */
static uint32_t leaf1_ecx_allowed(void)
{
	uint32_t allowed = LEAF1_ECX_ALLOWED & ~LEAF1_ECX_F16C;
	if (xstate.xsave)
		allowed |= LEAF1_ECX_XSAVE;
	if (xstate.mask & XSTATE_AVX)
		allowed |= LEAF1_ECX_AVX | LEAF1_ECX_F16C | LEAF1_ECX_FMA;
	return allowed;
}

/* CR4 bits a guest may set: those of the features its CPUID offers (SDM Vol. 3A, 2.5). The
 * rest (VMXE, SMXE, PCIDE, UMIP, LA57, PKE, CET, ...) enable what the guest was told does not
 * exist, or state kan does not switch, and fault. */
uint64_t cpuid_policy_cr4_allowed(void)
{
	uint64_t allowed = (1u << 0) /* VME */ | (1u << 1) /* PVI */ | (1u << 2) /* TSD */ |
			   (1u << 3) /* DE */ | (1u << 4) /* PSE */ | (1u << 5) /* PAE */ |
			   (1u << 6) /* MCE */ | (1u << 7) /* PGE */ | (1u << 8) /* PCE */ |
			   CR4_OSFXSR | CR4_OSXMMEXCPT;
	uint32_t ebx7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0).ebx : 0;
	if (ebx7 & LEAF7_EBX_FSGSBASE)
		allowed |= 1u << 16;
	if (xstate.xsave)
		allowed |= CR4_OSXSAVE;
	if (ebx7 & LEAF7_EBX_SMEP)
		allowed |= CR4_SMEP;
	if (ebx7 & LEAF7_EBX_SMAP)
		allowed |= CR4_SMAP;
	return allowed;
}

/* Leaf 0xD: the components kan switches (XCR0's allowed bits) and their sizes, for this
 * vCPU's XCR0 (SDM Vol. 1, 13.2). */
static struct cpuid_regs xsave_leaf(uint32_t subleaf, uint64_t xcr0)
{
	if (subleaf == 0)
		return (struct cpuid_regs){ (uint32_t)xstate.mask, xstate_size_for(xcr0),
					    xstate.size, (uint32_t)(xstate.mask >> 32) };
	struct cpuid_regs r = cpuid(0xd, subleaf);
	if (subleaf == 1)
		/* EBX: the XSAVEC area for the guest's XCR0 (there is no IA32_XSS); Linux sizes
		 * its buffers by it when it uses the compacted form. */
		return (struct cpuid_regs){ r.eax & LEAFD1_EAX_ALLOWED,
					    xstate_compacted_size_for(xcr0), 0, 0 };
	if (subleaf < 64 && (xstate.mask & (1ull << subleaf)))
		return r;
	return (struct cpuid_regs){ 0, 0, 0, 0 };
}

/* Out of line, and reading leaf and subleaf from the vCPU itself, so that the basic leaves'
 * path (the CPUID round trip that test_foundation measures) stays as short as it was. */
static __attribute__((noinline)) struct cpuid_regs extended_leaf(const struct vcpu *vcpu)
{
	static uint32_t host_extended_max;
	if (!host_extended_max)
		host_extended_max = cpuid(CPUID_EXTENDED_BASE, 0).eax;
	uint32_t leaf = (uint32_t)vcpu->regs.rax;
	return cpuid_extended_leaf(leaf, cpuid(leaf, (uint32_t)vcpu->regs.rcx), host_extended_max);
}

static struct cpuid_regs cpuid_policy(uint32_t leaf, uint32_t subleaf, const struct vcpu *vcpu)
{
	if (leaf == KAN_CPUID_SIGNATURE_LEAF)
		/* The highest hypervisor leaf, then "KanKanKanKan" in EBX, ECX, EDX. */
		return (struct cpuid_regs){ KAN_CPUID_SIGNATURE_LEAF, 0x4b6e614b, 0x614b6e61,
					    0x6e614b6e };
	if (hidden_leaf(leaf))
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	if (leaf == LEAF_TSC_CRYSTAL || leaf == LEAF_FREQUENCY)
		return tsc_leaf(leaf);
	static uint32_t host_max;
	if (!host_max)
		host_max = cpuid(0, 0).eax;
	/* Past the host's last basic leaf: not that leaf again (0x40000000-0x7fffffff are
	 * answered above); the extended leaves have their own policy, in cpuid_extended.c. */
	if (leaf > host_max)
		return leaf >= CPUID_EXTENDED_BASE ? extended_leaf(vcpu)
						   : (struct cpuid_regs){ 0, 0, 0, 0 };
	struct cpuid_regs r = cpuid(leaf, subleaf);
	switch (leaf) {
	case 0xd: /* XSAVE state, where kan switches it with XSAVE */
		return xstate.xsave ? xsave_leaf(subleaf, vcpu->xcr0) : (struct cpuid_regs){ 0 };
	case 0:
		if (r.eax < LEAF_FREQUENCY)
			r.eax = LEAF_FREQUENCY;
		break;
	case 1:
		r.ecx = (r.ecx & leaf1_ecx_allowed()) | LEAF1_ECX_HYPERVISOR;
		if (vcpu->osxsave)
			r.ecx |= LEAF1_ECX_OSXSAVE;
		r.edx &= ~LEAF1_EDX_HIDDEN;
		/* One logical processor per package, initial APIC ID the vCPU's index; keep brand
		 * index and CLFLUSH size. */
		r.ebx = (r.ebx & 0xffff) | (1u << 16) | (vcpu->index << 24);
		if (vcpu->vm->has_lapic) { /* the local APIC, its x2APIC mode, TSC deadline */
			r.edx |= LEAF1_EDX_APIC;
			r.ecx |= LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE;
		}
		break;
	case 4:
		/* Caches as the host has them, but shared by one core with one thread. */
		r.eax &= 0x3fff;
		break;
	case 7:
		if (subleaf == 0) {
			r.eax = 0;
			uint32_t ebx = LEAF7_EBX_ALLOWED, ecx = 0;
			if (xstate.mask & XSTATE_AVX)
				ebx |= LEAF7_EBX_AVX2;
			if (xstate.mask & XSTATE_AVX512) {
				ebx |= LEAF7_EBX_AVX512;
				ecx |= LEAF7_ECX_AVX512;
			}
			r.ebx &= ebx;
			r.ecx &= ecx;
			r.edx = 0;
		} else {
			r = (struct cpuid_regs){ 0, 0, 0, 0 };
		}
		break;
	default:
		break;
	}
	return r;
}

void cpuid_policy_apply(struct vcpu *vcpu)
{
	struct guest_regs *regs = &vcpu->regs;
	struct cpuid_regs r = cpuid_policy((uint32_t)regs->rax, (uint32_t)regs->rcx, vcpu);
	regs->rax = r.eax;
	regs->rbx = r.ebx;
	regs->rcx = r.ecx;
	regs->rdx = r.edx;
}
