/* The local APIC's pure decisions (arch/x86_64/lapic_mode.c): which mode kan picks, the MSR
 * of each register in x2APIC mode, the ICR encoding per mode, which IDs an IPI can name.
 * Bochs covers one path of each; these cover the firmware and large-machine cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/lapic_mode.h"

static enum lapic_mode pick(bool firmware, bool has, uint32_t max_id, enum lapic_x2apic_option o)
{
	struct lapic_mode_inputs in = { firmware, has, max_id, o };
	struct lapic_mode_choice c = lapic_mode_choose(&in);
	assert_non_null(c.why);
	return c.mode;
}

static void firmware_x2apic_is_kept_whatever_the_option(void **state)
{
	(void)state;
	assert_int_equal(pick(true, true, 3, X2APIC_AUTO), LAPIC_X2APIC);
	assert_int_equal(pick(true, true, 3, X2APIC_ON), LAPIC_X2APIC);
	assert_int_equal(pick(true, true, 3, X2APIC_OFF), LAPIC_X2APIC);
	struct lapic_mode_inputs in = { true, true, 3, X2APIC_OFF };
	assert_non_null(strstr(lapic_mode_choose(&in).why, "cannot undo"));
}

static void auto_takes_x2apic_only_for_ids_above_254(void **state)
{
	(void)state;
	assert_int_equal(pick(false, true, 0, X2APIC_AUTO), LAPIC_XAPIC);
	assert_int_equal(pick(false, true, 254, X2APIC_AUTO), LAPIC_XAPIC);
	assert_int_equal(pick(false, true, 255, X2APIC_AUTO), LAPIC_X2APIC);
	assert_int_equal(pick(false, true, 0x10000, X2APIC_AUTO), LAPIC_X2APIC);
	/* Without x2APIC in the CPU, IDs above 254 stay unreachable. */
	assert_int_equal(pick(false, false, 300, X2APIC_AUTO), LAPIC_XAPIC);
}

static void on_and_off_are_obeyed_where_possible(void **state)
{
	(void)state;
	assert_int_equal(pick(false, true, 1, X2APIC_ON), LAPIC_X2APIC);
	assert_int_equal(pick(false, false, 1, X2APIC_ON), LAPIC_XAPIC);
	assert_int_equal(pick(false, true, 300, X2APIC_OFF), LAPIC_XAPIC);
	struct lapic_mode_inputs in = { false, false, 1, X2APIC_ON };
	assert_non_null(strstr(lapic_mode_choose(&in).why, "no x2APIC"));
}

static void x2apic_msr_numbers_follow_the_sdm_table(void **state)
{
	(void)state;
	assert_int_equal(lapic_x2apic_msr(0x020), 0x802); /* ID */
	assert_int_equal(lapic_x2apic_msr(0x0b0), 0x80b); /* EOI */
	assert_int_equal(lapic_x2apic_msr(0x0f0), 0x80f); /* spurious vector */
	assert_int_equal(lapic_x2apic_msr(0x300), 0x830); /* ICR, all 64 bits */
	assert_int_equal(lapic_x2apic_msr(0x320), 0x832); /* LVT timer */
	assert_int_equal(lapic_x2apic_msr(0x380), 0x838); /* initial count */
	assert_int_equal(lapic_x2apic_msr(0x390), 0x839); /* current count */
	assert_int_equal(lapic_x2apic_msr(0x3e0), 0x83e); /* divide configuration */
}

static void icr_encoding_puts_the_destination_where_each_mode_wants_it(void **state)
{
	(void)state;
	/* xAPIC: 8 bits at 63:56 (ICR high 31:24). */
	assert_int_equal(lapic_icr_encode(LAPIC_XAPIC, 3, 0x4500), 0x0300000000004500ull);
	assert_int_equal(lapic_icr_encode(LAPIC_XAPIC, 0xfe, 0x21), 0xfe00000000000021ull);
	/* x2APIC: all 32 bits at 63:32. */
	assert_int_equal(lapic_icr_encode(LAPIC_X2APIC, 3, 0x4608), 0x0000000300004608ull);
	assert_int_equal(lapic_icr_encode(LAPIC_X2APIC, 0x12345, 0x4400), 0x0001234500004400ull);
	assert_int_equal(lapic_icr_encode(LAPIC_X2APIC, 0xfffffffe, 0x21), 0xfffffffe00000021ull);
}

static void which_ids_an_ipi_can_name(void **state)
{
	(void)state;
	assert_true(lapic_can_address(LAPIC_XAPIC, 0));
	assert_true(lapic_can_address(LAPIC_XAPIC, 254));
	assert_false(lapic_can_address(LAPIC_XAPIC, 255)); /* broadcast */
	assert_false(lapic_can_address(LAPIC_XAPIC, 256));
	assert_true(lapic_can_address(LAPIC_X2APIC, 255));
	assert_true(lapic_can_address(LAPIC_X2APIC, 0xfffffffe));
	assert_false(lapic_can_address(LAPIC_X2APIC, 0xffffffff)); /* broadcast */
}

static void id_register_is_8_or_32_bits(void **state)
{
	(void)state;
	assert_int_equal(lapic_id_from_register(LAPIC_XAPIC, 0x05000000), 5);
	assert_int_equal(lapic_id_from_register(LAPIC_X2APIC, 0x00012345), 0x12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(firmware_x2apic_is_kept_whatever_the_option),
		cmocka_unit_test(auto_takes_x2apic_only_for_ids_above_254),
		cmocka_unit_test(on_and_off_are_obeyed_where_possible),
		cmocka_unit_test(x2apic_msr_numbers_follow_the_sdm_table),
		cmocka_unit_test(icr_encoding_puts_the_destination_where_each_mode_wants_it),
		cmocka_unit_test(which_ids_an_ipi_can_name),
		cmocka_unit_test(id_register_is_8_or_32_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
