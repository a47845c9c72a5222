/*
 * CPUID's extended leaves, where AMD describes most of its CPU (features, SVM, topology, the
 * PMU, SEV) and Intel a few feature bits, address sizes and caches. Allow-listed like the
 * basic leaves (kernel/cpuid_policy.c): a leaf or bit kan does not know answers 0, so a
 * guest never learns of hardware kan does not give it. Bits from the AMD APM Vol. 3,
 * Appendix E, and the Intel SDM Vol. 2A, CPUID.
 */
#include "kernel/cpuid_extended.h"

/* 0x80000001:ECX: LAHF/SAHF in 64-bit mode, ABM (LZCNT, POPCNT), SSE4A, misaligned SSE,
 * PREFETCHW, TBM; Intel has bits 0, 5 and 8 of these. Hidden: CmpLegacy (multi-core),
 * SVM, the extended APIC space, AltMovCr8, OSVW, IBS, XOP and FMA4, SKINIT, WDT, LWP, TCE,
 * topology extensions, the performance counter extensions, data breakpoint extensions,
 * PerfTsc, MONITORX. */
#define EXT1_ECX_ALLOWED ((1u << 0) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 21))
/* 0x80000001:EDX: what leaf 1:EDX also says (but APIC, MTRR, MCA, as leaf 1 hides them),
 * SYSCALL, NX, MMX extensions, 1 GiB pages, RDTSCP, long mode, 3DNow! and its extensions;
 * Intel has SYSCALL, XD, Page1GB, RDTSCP and LM of these. Hidden: FFXSR, whose EFER bit kan
 * does not let a guest set (kernel/msr_policy.c). */
#define EXT1_EDX_ALLOWED                                                                           \
	((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |       \
	 (1u << 7) | (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 17) |  \
	 (1u << 20) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 26) | (1u << 27) |             \
	 (1u << 29) | (1u << 30) | (1u << 31))
/* 0x80000007:EDX: only the invariant TSC; the rest is power management. */
#define EXT7_EDX_ALLOWED (1u << 8)
/* 0x80000008:EBX: CLZERO, RstrFpErrPtrs (FXSAVE behaviour), WBNOINVD (exits as WBINVD does).
 * Hidden: the speculation controls (IBPB, IBRS, STIBP, SSBD: as leaf 7:EDX hides them),
 * INVLPGB, RDPRU, MCOMMIT, PPIN, CPPC and the rest. */
#define EXT8_EBX_ALLOWED ((1u << 0) | (1u << 2) | (1u << 9))
/* 0x80000021:EAX: no nested data breakpoints, LFENCE always serializing, a null selector
 * clears the base: facts about the CPU that ask nothing of kan. */
#define EXT21_EAX_ALLOWED ((1u << 0) | (1u << 2) | (1u << 6))

struct cpuid_regs cpuid_extended_leaf(uint32_t leaf, struct cpuid_regs host, uint32_t host_max)
{
	struct cpuid_regs none = { 0, 0, 0, 0 };
	if (leaf > host_max)
		return none; /* the host would repeat its last basic leaf (Intel) */
	switch (leaf) {
	case 0x80000000: /* highest extended leaf, and (AMD) the vendor string */
	case 0x80000002: /* 0x80000002-4: the processor's name */
	case 0x80000003:
	case 0x80000004:
	case 0x80000005: /* L1 caches and TLBs (AMD) */
	case 0x80000006: /* L2 and L3 caches, L2 TLB */
	case 0x80000019: /* 1 GiB page TLBs (AMD) */
	case 0x8000001a: /* performance hints: 128/256-bit SSE and AVX, MOVU (AMD) */
		return host;
	case 0x80000001:
		host.ecx &= EXT1_ECX_ALLOWED;
		host.edx &= EXT1_EDX_ALLOWED;
		return host; /* EAX: family, model, stepping; EBX: brand and package type */
	case 0x80000007:
		return (struct cpuid_regs){ 0, 0, 0, host.edx & EXT7_EDX_ALLOWED };
	case 0x80000008:
		/* EAX: physical, linear (and guest-physical) address sizes; ECX, EDX (AMD):
		 * core count, APIC ID size, INVLPGB and RDPRU limits, for one logical
		 * processor with neither: 0. */
		return (struct cpuid_regs){ host.eax, host.ebx & EXT8_EBX_ALLOWED, 0, 0 };
	case 0x8000001d:
		/* Caches as the host has them (like leaf 4), but shared by one logical processor.
		 */
		host.eax &= 0x3fff;
		return host;
	case 0x80000021:
		return (struct cpuid_regs){ host.eax & EXT21_EAX_ALLOWED, 0, 0, 0 };
	default:
		/* Among them 0x8000000A (SVM), 0x8000001B (IBS), 0x8000001C (LWP), 0x8000001E
		 * (topology), 0x8000001F (SEV), 0x80000020 (QoS), 0x80000022 (PMU). */
		return none;
	}
}
