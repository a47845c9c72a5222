/* console_choice_parse (kernel/console_config.c): console= on kan's command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/console_config.h"

static struct console_choice choice;
static char error[160];

static int parse(const char *line)
{
	error[0] = '\0';
	return console_choice_parse(line, &choice, error, sizeof(error));
}

static void no_console_key_leaves_the_choice_to_kan(void **state)
{
	(void)state;
	assert_int_equal(parse("/boot/kan.elf slice=5ms"), 0);
	assert_false(choice.given);
	assert_int_equal(choice.serial_port, 0);
}

static void com_names_map_to_their_ports(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		uint16_t port;
	} cases[] = {
		{ "console=com1", 0x3f8 },
		{ "console=com2", 0x2f8 },
		{ "console=com3", 0x3e8 },
		{ "console=com4", 0x2e8 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line), 0);
		assert_true(choice.given);
		assert_false(choice.screen);
		assert_int_equal(choice.serial_port, cases[i].port);
	}
}

static void a_port_number_and_fb_together(void **state)
{
	(void)state;
	assert_int_equal(parse("/boot/kan.elf console=0x2F8,fb on_empty=wait"), 0);
	assert_int_equal(choice.serial_port, 0x2f8);
	assert_true(choice.screen);
}

static void fb_alone_means_no_serial(void **state)
{
	(void)state;
	assert_int_equal(parse("console=fb"), 0);
	assert_true(choice.given);
	assert_true(choice.screen);
	assert_int_equal(choice.serial_port, 0);
}

static void none_means_neither(void **state)
{
	(void)state;
	assert_int_equal(parse("console=none"), 0);
	assert_true(choice.given);
	assert_false(choice.screen);
	assert_int_equal(choice.serial_port, 0);
}

static void the_last_console_key_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("console=com1 console=com2"), 0);
	assert_int_equal(choice.serial_port, 0x2f8);
}

static void bad_values_are_refused_by_name(void **state)
{
	(void)state;
	static const char *const lines[] = { "console=com5", "console=ttyS0", "console=0x",
					     "console=0xzz", "console=0x0",   "console=0x10000",
					     "console=",     "console=fb,",   "console=com1x" };
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(parse(lines[i]), -1);
		assert_non_null(strstr(error, "console="));
		assert_false(choice.given);
	}
}

static void two_serial_ports_or_none_with_more_are_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("console=com1,com2"), -1);
	assert_non_null(strstr(error, "two serial ports"));
	assert_int_equal(parse("console=none,fb"), -1);
	assert_non_null(strstr(error, "none"));
}

static void a_long_value_is_cut_not_overrun(void **state)
{
	(void)state;
	char line[300] = "console=fb";
	memset(line + 10, ',', 200);
	memcpy(line + 210, "fb", 3);
	assert_int_equal(parse(line), -1); /* an empty item between commas */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_console_key_leaves_the_choice_to_kan),
		cmocka_unit_test(com_names_map_to_their_ports),
		cmocka_unit_test(a_port_number_and_fb_together),
		cmocka_unit_test(fb_alone_means_no_serial),
		cmocka_unit_test(none_means_neither),
		cmocka_unit_test(the_last_console_key_wins),
		cmocka_unit_test(bad_values_are_refused_by_name),
		cmocka_unit_test(two_serial_ports_or_none_with_more_are_refused),
		cmocka_unit_test(a_long_value_is_cut_not_overrun),
	};
	return cmocka_run_group_tests_name("console_config", tests, NULL, NULL);
}
