/* cpuid_extended_leaf (kernel/cpuid_extended.c): the extended CPUID leaves a guest sees, from
 * what an Intel or an AMD CPU answers. Bochs's Intel models show few of these bits, and no
 * scenario runs on an AMD CPU model yet, so this is their test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/cpuid_extended.h"

#define BIT(n) (1u << (n))

/* 0x80000001 bits (AMD APM Vol. 3, Appendix E; Intel SDM Vol. 2A). */
#define ECX_LAHF	  BIT(0)
#define ECX_CMP_LEGACY	  BIT(1)
#define ECX_SVM		  BIT(2)
#define ECX_EXTAPIC	  BIT(3)
#define ECX_ALTMOVCR8	  BIT(4)
#define ECX_ABM		  BIT(5) /* LZCNT on Intel */
#define ECX_SSE4A	  BIT(6)
#define ECX_MISALIGNSSE	  BIT(7)
#define ECX_3DNOWPREFETCH BIT(8) /* PREFETCHW on Intel */
#define ECX_OSVW	  BIT(9)
#define ECX_IBS		  BIT(10)
#define ECX_SKINIT	  BIT(12)
#define ECX_WDT		  BIT(13)
#define ECX_LWP		  BIT(15)
#define ECX_TOPOEXT	  BIT(22)
#define ECX_PERFCTR_CORE  BIT(23)
#define ECX_PERFCTR_NB	  BIT(24)
#define ECX_MONITORX	  BIT(29)
#define EDX_APIC	  BIT(9)
#define EDX_SYSCALL	  BIT(11)
#define EDX_MTRR	  BIT(12)
#define EDX_NX		  BIT(20)
#define EDX_MMXEXT	  BIT(22)
#define EDX_FXSR	  BIT(24)
#define EDX_FFXSR	  BIT(25)
#define EDX_PAGE1GB	  BIT(26)
#define EDX_RDTSCP	  BIT(27)
#define EDX_LM		  BIT(29)

#define AMD_MAX 0x80000023u

static struct cpuid_regs guest(uint32_t leaf, struct cpuid_regs host)
{
	return cpuid_extended_leaf(leaf, host, AMD_MAX);
}

static void assert_zero(struct cpuid_regs r)
{
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
}

static void intel_leaf_80000001_keeps_all_of_its_bits(void **state)
{
	(void)state;
	/* What a Skylake answers: LAHF, LZCNT, PREFETCHW; SYSCALL, XD, 1 GiB pages, RDTSCP, LM. */
	struct cpuid_regs host = { 0, 0, ECX_LAHF | ECX_ABM | ECX_3DNOWPREFETCH,
				   EDX_SYSCALL | EDX_NX | EDX_PAGE1GB | EDX_RDTSCP | EDX_LM };
	struct cpuid_regs r = cpuid_extended_leaf(0x80000001, host, 0x80000008);
	assert_int_equal(r.ecx, host.ecx);
	assert_int_equal(r.edx, host.edx);
}

static void amd_leaf_80000001_hides_what_kan_does_not_virtualize(void **state)
{
	(void)state;
	uint32_t kept_ecx = ECX_LAHF | ECX_ABM | ECX_SSE4A | ECX_MISALIGNSSE | ECX_3DNOWPREFETCH;
	uint32_t hidden_ecx = ECX_CMP_LEGACY | ECX_SVM | ECX_EXTAPIC | ECX_ALTMOVCR8 | ECX_OSVW |
			      ECX_IBS | ECX_SKINIT | ECX_WDT | ECX_LWP | ECX_TOPOEXT |
			      ECX_PERFCTR_CORE | ECX_PERFCTR_NB | ECX_MONITORX;
	uint32_t kept_edx = EDX_SYSCALL | EDX_NX | EDX_MMXEXT | EDX_FXSR | EDX_PAGE1GB |
			    EDX_RDTSCP | EDX_LM | BIT(0) /* FPU */;
	uint32_t hidden_edx = EDX_APIC | EDX_MTRR | EDX_FFXSR;
	struct cpuid_regs host = { 0x00800f12, 0x1234, kept_ecx | hidden_ecx,
				   kept_edx | hidden_edx };
	struct cpuid_regs r = guest(0x80000001, host);
	assert_int_equal(r.eax, host.eax); /* family, model, stepping */
	assert_int_equal(r.ebx, host.ebx);
	assert_int_equal(r.ecx, kept_ecx);
	assert_int_equal(r.edx, kept_edx);
}

static void amd_svm_sev_topology_and_pmu_leaves_are_zero(void **state)
{
	(void)state;
	struct cpuid_regs host = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff };
	static const uint32_t hidden[] = { 0x8000000a, 0x8000001b, 0x8000001c, 0x8000001e,
					   0x8000001f, 0x80000020, 0x80000022, 0x80000023 };
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		assert_zero(guest(hidden[i], host));
}

static void caches_tlbs_names_and_address_sizes_pass(void **state)
{
	(void)state;
	struct cpuid_regs host = { 0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00 };
	static const uint32_t kept[] = { 0x80000000, 0x80000002, 0x80000003, 0x80000004,
					 0x80000005, 0x80000006, 0x80000019, 0x8000001a };
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		struct cpuid_regs r = guest(kept[i], host);
		assert_memory_equal(&r, &host, sizeof(r));
	}
	/* 0x80000008: the address sizes; not IBPB (bit 12) nor the core count in ECX. */
	struct cpuid_regs sizes = { 0x3030, BIT(0) | BIT(12) | BIT(24), 0x3007, 0x70007 };
	struct cpuid_regs r = guest(0x80000008, sizes);
	assert_int_equal(r.eax, 0x3030);
	assert_int_equal(r.ebx, BIT(0));
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
}

static void cache_topology_is_shared_by_nobody_else(void **state)
{
	(void)state;
	/* L3, level 3, self-initializing, shared by 16 logical processors (15 in 25:14). */
	struct cpuid_regs host = { (15u << 14) | BIT(8) | (3u << 5) | 3, 0x3f, 0xfff, 0 };
	struct cpuid_regs r = guest(0x8000001d, host);
	assert_int_equal(r.eax, BIT(8) | (3u << 5) | 3);
	assert_int_equal(r.ebx, host.ebx);
	assert_int_equal(r.ecx, host.ecx);
}

static void only_the_invariant_tsc_of_power_management(void **state)
{
	(void)state;
	struct cpuid_regs r = guest(0x80000007, (struct cpuid_regs){ 1, 2, 3, 0x7fb });
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, BIT(8));
}

static void leaves_past_the_host_and_unknown_ones_are_zero(void **state)
{
	(void)state;
	/* Intel answers a leaf past its last with its last basic leaf: not passed on. */
	struct cpuid_regs host = { 0x16, 0x4, 0x5, 0x6 };
	assert_zero(cpuid_extended_leaf(0x80000019, host, 0x80000008));
	assert_zero(guest(0x80000030, host));
	assert_zero(guest(0xc0000000, host));
	assert_int_equal(guest(0x80000021, (struct cpuid_regs){ 0xffffffff, 1, 1, 1 }).eax,
			 BIT(0) | BIT(2) | BIT(6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intel_leaf_80000001_keeps_all_of_its_bits),
		cmocka_unit_test(amd_leaf_80000001_hides_what_kan_does_not_virtualize),
		cmocka_unit_test(amd_svm_sev_topology_and_pmu_leaves_are_zero),
		cmocka_unit_test(caches_tlbs_names_and_address_sizes_pass),
		cmocka_unit_test(cache_topology_is_shared_by_nobody_else),
		cmocka_unit_test(only_the_invariant_tsc_of_power_management),
		cmocka_unit_test(leaves_past_the_host_and_unknown_ones_are_zero),
	};
	return cmocka_run_group_tests_name("cpuid_extended", tests, NULL, NULL);
}
