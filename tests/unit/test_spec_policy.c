/* spec_policy_decide (kernel/spec_policy.c): which side-channel measures kan takes between
 * VMs, from what the CPU reports. Bochs reports none of these bits, so this is their test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/spec_policy.h"

/* spec_policy.c prints its decision at boot; the host test has no console. */
void printk(const char *fmt, ...);
void printk(const char *fmt, ...)
{
	(void)fmt;
}

static struct spec_policy decide(uint32_t edx, uint64_t caps)
{
	struct spec_cpu cpu = { .cpuid7_edx = edx, .arch_capabilities = caps };
	return spec_policy_decide(&cpu);
}

#define ALL_EDX                                                                                    \
	(CPUID_7_EDX_IBRS_IBPB | CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_MD_CLEAR |                    \
	 CPUID_7_EDX_ARCH_CAPABILITIES)
#define FIXED_CAPS (ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO)

static void old_cpu_without_any_mitigation_is_reported_unmitigated(void **state)
{
	(void)state;
	struct spec_policy p = decide(0, 0);
	assert_false(p.ibpb_on_vm_switch);
	assert_false(p.l1d_flush_on_entry);
	assert_false(p.verw_on_entry);
	assert_true(p.l1tf_unmitigated);
	assert_true(p.mds_unmitigated);
}

static void affected_cpu_with_microcode_flushes_l1d_and_uses_ibpb(void **state)
{
	(void)state;
	struct spec_policy p = decide(ALL_EDX, 0);
	assert_true(p.ibpb_on_vm_switch);
	assert_true(p.l1d_flush_on_entry);
	/* The L1D flush also clears the buffers MDS samples: no VERW on top. */
	assert_false(p.verw_on_entry);
	assert_false(p.l1tf_unmitigated);
	assert_false(p.mds_unmitigated);
}

static void arch_capabilities_ignored_when_cpuid_denies_the_msr(void **state)
{
	(void)state;
	struct spec_policy p = decide(ALL_EDX & ~CPUID_7_EDX_ARCH_CAPABILITIES, FIXED_CAPS);
	assert_true(p.l1d_flush_on_entry);
}

static void fixed_cpu_needs_only_ibpb(void **state)
{
	(void)state;
	struct spec_policy p = decide(ALL_EDX, FIXED_CAPS);
	assert_true(p.ibpb_on_vm_switch);
	assert_false(p.l1d_flush_on_entry);
	assert_false(p.verw_on_entry);
	assert_false(p.l1tf_unmitigated);
	assert_false(p.mds_unmitigated);
}

static void mds_only_cpu_uses_verw(void **state)
{
	(void)state;
	struct spec_policy p = decide(ALL_EDX, ARCH_CAP_RDCL_NO);
	assert_false(p.l1d_flush_on_entry);
	assert_true(p.verw_on_entry);
	p = decide(ALL_EDX & ~CPUID_7_EDX_MD_CLEAR, ARCH_CAP_RDCL_NO);
	assert_false(p.verw_on_entry);
	assert_true(p.mds_unmitigated);
}

static struct spec_policy decide_amd(uint32_t edx, uint32_t ebx_80000008)
{
	struct spec_cpu cpu = { .amd = true,
				.cpuid7_edx = edx,
				.cpuid_80000008_ebx = ebx_80000008 };
	return spec_policy_decide(&cpu);
}

static void amd_cpu_needs_neither_l1d_flush_nor_verw(void **state)
{
	(void)state;
	/* QEMU's EPYC model: no ARCH_CAPABILITIES, no L1D_FLUSH, no MD_CLEAR, and still fine. */
	struct spec_policy p = decide_amd(0, 0);
	assert_false(p.l1d_flush_on_entry);
	assert_false(p.verw_on_entry);
	assert_false(p.l1tf_unmitigated);
	assert_false(p.mds_unmitigated);
	assert_false(p.ibpb_on_vm_switch);
	/* Not even where it offers the commands: they buy nothing there. */
	p = decide_amd(CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_MD_CLEAR, 0);
	assert_false(p.l1d_flush_on_entry);
	assert_false(p.verw_on_entry);
}

static void amd_ibpb_is_announced_in_leaf_80000008(void **state)
{
	(void)state;
	assert_true(decide_amd(0, CPUID_80000008_EBX_IBPB).ibpb_on_vm_switch);
	assert_false(decide_amd(0, ~CPUID_80000008_EBX_IBPB).ibpb_on_vm_switch);
	/* Intel announces it in leaf 7, and an Intel CPU is still judged on L1TF. */
	struct spec_cpu intel = { .cpuid_80000008_ebx = CPUID_80000008_EBX_IBPB };
	struct spec_policy p = spec_policy_decide(&intel);
	assert_true(p.ibpb_on_vm_switch);
	assert_true(p.l1tf_unmitigated);
}

static void nested_hypervisor_that_flushes_for_us_is_trusted(void **state)
{
	(void)state;
	struct spec_policy p = decide(ALL_EDX, ARCH_CAP_SKIP_L1DFL_VMENTRY);
	assert_false(p.l1d_flush_on_entry);
	assert_false(p.verw_on_entry);
	assert_false(p.l1tf_unmitigated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(old_cpu_without_any_mitigation_is_reported_unmitigated),
		cmocka_unit_test(affected_cpu_with_microcode_flushes_l1d_and_uses_ibpb),
		cmocka_unit_test(arch_capabilities_ignored_when_cpuid_denies_the_msr),
		cmocka_unit_test(fixed_cpu_needs_only_ibpb),
		cmocka_unit_test(mds_only_cpu_uses_verw),
		cmocka_unit_test(nested_hypervisor_that_flushes_for_us_is_trusted),
		cmocka_unit_test(amd_cpu_needs_neither_l1d_flush_nor_verw),
		cmocka_unit_test(amd_ibpb_is_announced_in_leaf_80000008),
	};
	return cmocka_run_group_tests_name("spec_policy", tests, NULL, NULL);
}
