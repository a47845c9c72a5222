/* The virtual 8259 pair and 8254 of a Linux VM (kernel/devices/vpic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/vpic.h"

/* One TSC tick per PIT tick: a count of N is N ticks of the TSC. */
uint64_t time_tsc_hz(void)
{
	return 1193182;
}

static struct vpic pic;

static int setup(void **state)
{
	(void)state;
	vpic_init(&pic);
	return 0;
}

static void out(uint16_t port, uint8_t v)
{
	uint32_t value = v;
	vpic_io_pit(&pic, port, 1, true, &value);
}

static void pic_out(uint16_t port, uint8_t v)
{
	uint32_t value = v;
	vpic_io_pic(&pic, port, 1, true, &value);
}

/* Linux's init_8259A: vectors 0x30 and 0x38, slave on IRQ 2, everything but IRQ 0, 2 and 4
 * masked. */
static void init_like_linux(void)
{
	pic_out(0x20, 0x11), pic_out(0x21, 0x30), pic_out(0x21, 0x04), pic_out(0x21, 0x01);
	pic_out(0xa0, 0x11), pic_out(0xa1, 0x38), pic_out(0xa1, 0x02), pic_out(0xa1, 0x01);
	pic_out(0x21, 0xea);
	pic_out(0xa1, 0xff);
}

static uint64_t program_oneshot(uint8_t mode_byte, uint16_t count)
{
	out(0x43, mode_byte);
	out(0x40, (uint8_t)count);
	out(0x40, (uint8_t)(count >> 8));
	return pic.pit.next_tick;
}

static void mode_4_interrupts_once_as_linux_oneshot_expects(void **state)
{
	(void)state;
	uint64_t due = program_oneshot(0x38, 100); /* channel 0, lo/hi, mode 4 */
	assert_int_equal(vpic_tick(&pic, due - 1), due);
	assert_int_equal(pic.chip[0].irr & 1, 0);
	assert_int_equal(vpic_tick(&pic, due), UINT64_MAX);
	assert_int_equal(pic.chip[0].irr & 1, 1);
	pic.chip[0].irr = 0;
	assert_int_equal(vpic_tick(&pic, due + 1000), UINT64_MAX); /* never again by itself */
	assert_int_equal(pic.chip[0].irr & 1, 0);
}

static void mode_0_is_one_shot_too(void **state)
{
	(void)state;
	uint64_t due = program_oneshot(0x30, 50);
	vpic_tick(&pic, due);
	pic.chip[0].irr = 0;
	vpic_tick(&pic, due + 500);
	assert_int_equal(pic.chip[0].irr & 1, 0);
}

static void mode_2_repeats_every_period_and_drops_missed_ticks(void **state)
{
	(void)state;
	uint64_t due = program_oneshot(0x34, 1000); /* rate generator */
	assert_int_equal(vpic_tick(&pic, due), due + 1000);
	pic.chip[0].irr = 0;
	uint64_t late = due + 5500; /* five periods late: one interrupt, then a period on */
	assert_int_equal(vpic_tick(&pic, late), late + 1000);
	assert_int_equal(pic.chip[0].irr & 1, 1);
}

static void the_timer_outranks_com1_and_an_eoi_lets_com1_in(void **state)
{
	(void)state;
	init_like_linux();
	uint8_t vector;
	vpic_raise(&pic, 4);
	vpic_raise(&pic, 0);
	assert_true(vpic_ack(&pic, &vector));
	assert_int_equal(vector, 0x30);
	assert_false(vpic_pending(&pic)); /* IRQ 4 waits while IRQ 0 is in service */
	pic_out(0x20, 0x60);		  /* specific EOI for IRQ 0, as Linux sends */
	assert_true(vpic_ack(&pic, &vector));
	assert_int_equal(vector, 0x34);
}

static void a_masked_irq_waits_in_irr_until_unmasked(void **state)
{
	(void)state;
	init_like_linux();
	vpic_raise(&pic, 3);
	assert_false(vpic_pending(&pic));
	pic_out(0x21, 0xe2);
	uint8_t vector;
	assert_true(vpic_ack(&pic, &vector));
	assert_int_equal(vector, 0x33);
}

static void a_slave_irq_arrives_through_the_cascade(void **state)
{
	(void)state;
	init_like_linux();
	pic_out(0xa1, 0xfd); /* IRQ 9 unmasked */
	vpic_raise(&pic, 9);
	uint8_t vector;
	assert_true(vpic_ack(&pic, &vector));
	assert_int_equal(vector, 0x39);
	assert_int_equal(pic.chip[0].isr, 1u << 2);
	assert_int_equal(pic.chip[1].isr, 1u << 1);
}

static void raise_nothing(void *ctx)
{
	(void)ctx;
}

/* A snapshot's restore: the copy's registers and pending IRQs, its own wiring, and the PIT's
 * next tick moved by the time the snapshot was away. */
static void a_copy_takes_the_registers_and_moves_the_next_tick(void **state)
{
	(void)state;
	init_like_linux();
	uint64_t tick = program_oneshot(0x34, 1000); /* mode 2, periodic */
	vpic_raise(&pic, 4);
	struct vpic copy;
	vpic_init(&copy);
	copy.irq0 = raise_nothing;
	copy.irq0_ctx = &copy;
	vpic_copy_state(&copy, &pic, 5000);
	assert_ptr_equal(copy.irq0, raise_nothing);
	assert_ptr_equal(copy.irq0_ctx, &copy);
	assert_int_equal(copy.chip[0].vector_base, 0x30);
	assert_int_equal(copy.chip[0].imr, 0xea);
	assert_int_equal(copy.chip[0].irr, 1u << 4);
	assert_int_equal(copy.pit.reload, 1000);
	assert_int_equal(copy.pit.period_tsc, pic.pit.period_tsc);
	assert_int_equal(copy.pit.next_tick, tick + 5000);
	/* A PIT that does not run has no tick to move. */
	vpic_init(&pic);
	vpic_copy_state(&copy, &pic, 5000);
	assert_int_equal(copy.pit.next_tick, 0);
}

#define VPIC_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VPIC_TEST(mode_4_interrupts_once_as_linux_oneshot_expects),
		VPIC_TEST(mode_0_is_one_shot_too),
		VPIC_TEST(mode_2_repeats_every_period_and_drops_missed_ticks),
		VPIC_TEST(the_timer_outranks_com1_and_an_eoi_lets_com1_in),
		VPIC_TEST(a_masked_irq_waits_in_irr_until_unmasked),
		VPIC_TEST(a_slave_irq_arrives_through_the_cascade),
		VPIC_TEST(a_copy_takes_the_registers_and_moves_the_next_tick),
	};
	return cmocka_run_group_tests_name("vpic", tests, NULL, NULL);
}
