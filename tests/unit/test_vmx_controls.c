/* vmx_adjust_controls (vmx/vmx_controls.c) against capability MSRs shaped like real CPUs'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vmx/vmx_cpu.h"
#include "vmx/vmx_defs.h"

/*
 * Capability MSRs (SDM A.3): low half = allowed 0-settings (a 1 there means the bit must be 1),
 * high half = allowed 1-settings (a 0 there means the bit must be 0). Values as a Skylake
 * (Bochs skylake_x) reports them in the IA32_VMX_TRUE_* MSRs.
 */
#define SKYLAKE_TRUE_PINBASED  0x0000007f00000016ull
#define SKYLAKE_TRUE_PROCBASED 0xfff9fffe04006172ull
#define SKYLAKE_TRUE_EXIT      0x01ffffff00036dfbull
#define SKYLAKE_TRUE_ENTRY     0x0003ffff000011fbull

/* What kan asks for (vmx/vmx_caps.c, choose_controls). */
#define KAN_PIN (PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER)
#define KAN_PROC                                                                                   \
	(PROC_HLT_EXITING | PROC_UNCONDITIONAL_IO_EXITING | PROC_MWAIT_EXITING |                   \
	 PROC_MONITOR_EXITING | PROC_RDPMC_EXITING | PROC_ACTIVATE_SECONDARY)
#define KAN_EXIT                                                                                   \
	(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |                   \
	 EXIT_SAVE_PREEMPTION_TIMER | EXIT_ACK_INTERRUPT_ON_EXIT)

static void wanted_bits_the_cpu_allows_are_set_and_none_missing(void **state)
{
	(void)state;
	uint32_t missing = 0xdead;
	uint32_t value = vmx_adjust_controls(0x000000ff00000000ull, 0x49, &missing);
	assert_int_equal(value, 0x49);
	assert_int_equal(missing, 0);
}

static void must_be_one_bits_are_forced_on_even_if_not_wanted(void **state)
{
	(void)state;
	uint32_t missing;
	/* Skylake pin-based: bits 1, 2 and 4 are reserved-to-1. */
	uint32_t value = vmx_adjust_controls(SKYLAKE_TRUE_PINBASED, KAN_PIN, &missing);
	assert_int_equal(value, KAN_PIN | 0x16);
	assert_int_equal(value, 0x5f);
	assert_int_equal(missing, 0);
}

static void nothing_wanted_gives_exactly_the_must_be_one_bits(void **state)
{
	(void)state;
	uint32_t missing;
	assert_int_equal(vmx_adjust_controls(SKYLAKE_TRUE_PINBASED, 0, &missing), 0x16);
	assert_int_equal(missing, 0);
	assert_int_equal(vmx_adjust_controls(SKYLAKE_TRUE_PROCBASED, 0, &missing), 0x04006172);
	assert_int_equal(missing, 0);
}

static void kan_primary_controls_on_skylake(void **state)
{
	(void)state;
	uint32_t missing;
	uint32_t value = vmx_adjust_controls(SKYLAKE_TRUE_PROCBASED, KAN_PROC, &missing);
	assert_int_equal(value, 0xa5006df2);
	assert_int_equal(missing, 0);
}

static void kan_exit_and_entry_controls_on_skylake(void **state)
{
	(void)state;
	uint32_t missing;
	assert_int_equal(vmx_adjust_controls(SKYLAKE_TRUE_EXIT, KAN_EXIT, &missing), 0x0073effb);
	assert_int_equal(missing, 0);
	assert_int_equal(vmx_adjust_controls(SKYLAKE_TRUE_ENTRY, ENTRY_LOAD_IA32_EFER, &missing),
			 0x000091fb);
	assert_int_equal(missing, 0);
}

static void a_wanted_bit_the_cpu_lacks_is_cleared_and_reported_missing(void **state)
{
	(void)state;
	uint32_t missing;
	/* A CPU without the VMX-preemption timer: allowed-1 bit 6 is clear. */
	uint32_t value = vmx_adjust_controls(0x0000003f00000016ull, KAN_PIN, &missing);
	assert_int_equal(missing, PIN_PREEMPTION_TIMER);
	assert_int_equal(value & PIN_PREEMPTION_TIMER, 0);
	assert_int_equal(value, 0x1f);
}

static void a_cpu_without_secondary_controls_reports_them_missing(void **state)
{
	(void)state;
	uint32_t missing;
	uint32_t value =
		vmx_adjust_controls(SKYLAKE_TRUE_PROCBASED & ~(1ull << 63), KAN_PROC, &missing);
	assert_int_equal(missing, PROC_ACTIVATE_SECONDARY);
	assert_int_equal(value, 0x25006df2);
}

static void a_capability_allowing_nothing_reports_every_wanted_bit_missing(void **state)
{
	(void)state;
	uint32_t missing;
	uint32_t wanted = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID;
	assert_int_equal(vmx_adjust_controls(0, wanted, &missing), 0);
	assert_int_equal(missing, wanted);
}

static void must_be_zero_bits_stay_clear_even_if_wanted(void **state)
{
	(void)state;
	uint32_t missing;
	/* Skylake TRUE procbased: allowed-1 bits 0, 17 and 18 are clear. */
	uint32_t wanted = (1u << 0) | (1u << 17) | PROC_HLT_EXITING;
	uint32_t value = vmx_adjust_controls(SKYLAKE_TRUE_PROCBASED, wanted, &missing);
	assert_int_equal(value & ((1u << 0) | (1u << 17) | (1u << 18)), 0);
	assert_int_equal(missing, (1u << 0) | (1u << 17));
	assert_true(value & PROC_HLT_EXITING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wanted_bits_the_cpu_allows_are_set_and_none_missing),
		cmocka_unit_test(must_be_one_bits_are_forced_on_even_if_not_wanted),
		cmocka_unit_test(nothing_wanted_gives_exactly_the_must_be_one_bits),
		cmocka_unit_test(kan_primary_controls_on_skylake),
		cmocka_unit_test(kan_exit_and_entry_controls_on_skylake),
		cmocka_unit_test(a_wanted_bit_the_cpu_lacks_is_cleared_and_reported_missing),
		cmocka_unit_test(a_cpu_without_secondary_controls_reports_them_missing),
		cmocka_unit_test(a_capability_allowing_nothing_reports_every_wanted_bit_missing),
		cmocka_unit_test(must_be_zero_bits_stay_clear_even_if_wanted),
	};
	return cmocka_run_group_tests_name("vmx_controls", tests, NULL, NULL);
}
