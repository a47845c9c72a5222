/*
 * The CPU a guest sees (docs/security.md): the host's model and caches, one logical
 * processor, and only the features kan virtualizes or that need nothing from kan. Feature
 * bits are allow-listed, so a new CPU's new features stay hidden until kan knows them.
 */
#include "kernel/cpuid_policy.h"
#include "kernel/time.h"

#include <stdbool.h>

/* CPUID.1:ECX and EDX (Intel SDM Vol. 2A, Table 3-10 and 3-11). */
#define LEAF1_ECX_ALLOWED                                                                          \
	((1u << 0) /* SSE3 */ | (1u << 1) /* PCLMULQDQ */ | (1u << 9) /* SSSE3 */ |                \
	 (1u << 13) /* CMPXCHG16B */ | (1u << 19) /* SSE4.1 */ | (1u << 20) /* SSE4.2 */ |         \
	 (1u << 22) /* MOVBE */ | (1u << 23) /* POPCNT */ | (1u << 25) /* AES */ |                 \
	 (1u << 29) /* F16C needs AVX: hidden below */ | (1u << 30) /* RDRAND */)
#define LEAF1_ECX_F16C	     (1u << 29)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
/* Everything but APIC (9), MTRR (12), MCA (14), DS (21), ACPI (22), HTT (28), TM (29), PBE (31). */
#define LEAF1_EDX_HIDDEN                                                                           \
	((1u << 9) | (1u << 12) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 28) | (1u << 29) | \
	 (1u << 31))
/* CPUID.(7,0):EBX: FSGSBASE, BMI1, SMEP, BMI2, ERMS, INVPCID, RDSEED, ADX, SMAP, CLFLUSHOPT. */
#define LEAF7_EBX_ALLOWED                                                                          \
	((1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 18) |     \
	 (1u << 19) | (1u << 20) | (1u << 23))

/* Leaves that describe what kan does not give a guest: the PMU, thermal and power
 * management, XSAVE state, extended topology; answered with zeros. */
static bool hidden_leaf(uint32_t leaf)
{
	return leaf == 0x5 || leaf == 0x6 || leaf == 0xa || leaf == 0xb || leaf == 0xd ||
	       leaf == 0x1f || (leaf > 0x40000000u && leaf < 0x80000000u);
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

static struct cpuid_regs cpuid_policy(uint32_t leaf, uint32_t subleaf)
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
	if (leaf > host_max && leaf < 0x40000000u)
		return (struct cpuid_regs){ 0, 0, 0, 0 }; /* not the host's last leaf again */
	struct cpuid_regs r = cpuid(leaf, subleaf);
	switch (leaf) {
	case 0:
		if (r.eax < LEAF_FREQUENCY)
			r.eax = LEAF_FREQUENCY;
		break;
	case 1:
		r.ecx = (r.ecx & LEAF1_ECX_ALLOWED & ~LEAF1_ECX_F16C) | LEAF1_ECX_HYPERVISOR;
		r.edx &= ~LEAF1_EDX_HIDDEN;
		/* One logical processor, initial APIC ID 0; keep brand index and CLFLUSH size. */
		r.ebx = (r.ebx & 0xffff) | (1u << 16);
		break;
	case 4:
		/* Caches as the host has them, but shared by one core with one thread. */
		r.eax &= 0x3fff;
		break;
	case 7:
		if (subleaf == 0) {
			r.eax = 0;
			r.ebx &= LEAF7_EBX_ALLOWED;
			r.ecx = 0;
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

void cpuid_policy_apply(struct guest_regs *regs)
{
	struct cpuid_regs r = cpuid_policy((uint32_t)regs->rax, (uint32_t)regs->rcx);
	regs->rax = r.eax;
	regs->rbx = r.ebx;
	regs->rcx = r.ecx;
	regs->rdx = r.edx;
}
