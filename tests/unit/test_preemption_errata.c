/* vmx_preemption_timer_broken (vmx/vmx_controls.c): the CPU signatures whose VMX-preemption
 * timer does not count at the stated rate. Nothing here runs on one of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vmx/vmx_cpu.h"
#include "vmx/vmx_defs.h"

static void the_listed_steppings_are_broken(void **state)
{
	(void)state;
	const uint32_t broken[] = { 0x106a0, 0x106a1, 0x106a4, 0x106a5, 0x106e5,
				    0x20652, 0x20655, 0x206e6, 0x306a8 };
	for (unsigned i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		assert_true(vmx_preemption_timer_broken(broken[i]));
}

static void reserved_bits_do_not_matter(void **state)
{
	(void)state;
	/* Bits 15:14 and 31:28 of CPUID.1:EAX are reserved. */
	assert_true(vmx_preemption_timer_broken(0x106a5 | 0x3u << 14));
	assert_true(vmx_preemption_timer_broken(0x20655 | 0xfu << 28));
}

static void other_steppings_and_models_are_not(void **state)
{
	(void)state;
	assert_false(vmx_preemption_timer_broken(0x106a2)); /* a stepping not in the errata */
	assert_false(vmx_preemption_timer_broken(0x206e5));
	assert_false(vmx_preemption_timer_broken(0x306a9)); /* Ivy Bridge, another stepping */
	assert_false(vmx_preemption_timer_broken(0x50654)); /* Bochs's Skylake-X */
	assert_false(vmx_preemption_timer_broken(0x906ea)); /* Coffee Lake */
	assert_false(vmx_preemption_timer_broken(0x106a5 | 0x1u << 20)); /* extended family */
	assert_false(vmx_preemption_timer_broken(0));
}

static void the_fallback_takes_the_timer_out_of_the_controls(void **state)
{
	(void)state;
	struct vmx_controls c = { .pin = PIN_PREEMPTION_TIMER | PIN_NMI_EXITING,
				  .exit = EXIT_SAVE_PREEMPTION_TIMER | EXIT_ACK_INTERRUPT_ON_EXIT };
	vmx_controls_use_lapic_slices(&c);
	assert_int_equal(c.pin, PIN_NMI_EXITING);
	assert_int_equal(c.exit, EXIT_ACK_INTERRUPT_ON_EXIT);
	assert_true(c.lapic_slices);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_listed_steppings_are_broken),
		cmocka_unit_test(reserved_bits_do_not_matter),
		cmocka_unit_test(other_steppings_and_models_are_not),
		cmocka_unit_test(the_fallback_takes_the_timer_out_of_the_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
