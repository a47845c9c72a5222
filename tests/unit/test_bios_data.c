/* bios_data_area_write (kernel/bios_data.c): the fields a PC's BIOS leaves in page 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bios_data.h"

static uint8_t ram[1 << 20];

static unsigned word(unsigned at)
{
	return ram[at] | ram[at + 1] << 8;
}

static void the_bda_names_com1_the_ebda_and_base_memory(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	bios_data_area_write(ram);
	assert_int_equal(word(0x400), 0x3f8); /* COM1 */
	assert_int_equal(word(0x402), 0);     /* no COM2 */
	assert_int_equal(word(0x40e), 0x9fc0);
	assert_int_equal(word(0x410) >> 9 & 7, 1); /* one serial port */
	assert_int_equal(word(0x413), 639);	   /* KiB below the EBDA */
	assert_int_equal(ram[0x9fc00], 1);	   /* the EBDA's size in KiB */
	/* Nothing else: the interrupt vector table and the rest stay zero. */
	size_t set = 0;
	for (size_t i = 0; i < sizeof(ram); i++)
		set += ram[i] != 0;
	assert_int_equal(set, 8); /* 2 + 2 + 1 + 2 bytes, and the EBDA size */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_bda_names_com1_the_ebda_and_base_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
