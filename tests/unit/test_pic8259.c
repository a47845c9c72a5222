/* pic_verdict (drivers/pic8259.c): what an interrupt from the 8259 pair calls for. A spurious
 * IRQ 7 or 15 (its in-service bit clear) must not be acknowledged where nothing is in service,
 * since an EOI there would end another interrupt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "drivers/pic8259.h"

static void spurious_irq7_gets_no_eoi(void **state)
{
	(void)state;
	struct pic_verdict v = pic_verdict(7, 0x00, 0x00);
	assert_true(v.spurious);
	assert_false(v.eoi_master);
	assert_false(v.eoi_slave);
	/* Another line in service does not make IRQ 7 real. */
	v = pic_verdict(7, 0x01, 0x00);
	assert_true(v.spurious);
	assert_false(v.eoi_master);
}

static void real_irq7_is_ended_at_the_master(void **state)
{
	(void)state;
	struct pic_verdict v = pic_verdict(7, 0x80, 0x00);
	assert_false(v.spurious);
	assert_true(v.eoi_master);
	assert_false(v.eoi_slave);
}

static void spurious_irq15_ends_only_the_masters_cascade(void **state)
{
	(void)state;
	struct pic_verdict v = pic_verdict(15, 0x04, 0x00);
	assert_true(v.spurious);
	assert_true(v.eoi_master);
	assert_false(v.eoi_slave);
}

static void other_irqs_are_ended_where_they_came_from(void **state)
{
	(void)state;
	struct pic_verdict v = pic_verdict(0, 0x01, 0x00);
	assert_false(v.spurious);
	assert_true(v.eoi_master);
	assert_false(v.eoi_slave);
	v = pic_verdict(15, 0x04, 0x80);
	assert_false(v.spurious);
	assert_true(v.eoi_master);
	assert_true(v.eoi_slave);
	v = pic_verdict(9, 0x04, 0x02);
	assert_true(v.eoi_master && v.eoi_slave);
}

static void the_remapped_vectors_are_clear_of_exceptions_and_kans_own(void **state)
{
	(void)state;
	assert_true(PIC_VECTOR_BASE >= 32);	   /* not an exception */
	assert_true(PIC_VECTOR_BASE % 8 == 0);	   /* ICW2 takes the top 5 bits */
	assert_true(PIC_VECTOR_BASE >= 0x20 + 16); /* past kan's handlers at 0x20-0x2f */
	assert_true(PIC_VECTOR_BASE + PIC_VECTORS <= 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spurious_irq7_gets_no_eoi),
		cmocka_unit_test(real_irq7_is_ended_at_the_master),
		cmocka_unit_test(spurious_irq15_ends_only_the_masters_cascade),
		cmocka_unit_test(other_irqs_are_ended_where_they_came_from),
		cmocka_unit_test(the_remapped_vectors_are_clear_of_exceptions_and_kans_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
