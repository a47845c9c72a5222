/* The snapshot commands' words and a restored VM's config line (kernel/snapshot_line.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/snapshot_line.h"

static char name[16], rest[64], error[128];

static int as(const char *options)
{
	strcpy(error, "untouched");
	return snapshot_parse_as(options, name, sizeof(name), rest, sizeof(rest), error,
				 sizeof(error));
}

static void as_takes_a_name_and_leaves_the_rest(void **state)
{
	(void)state;
	assert_int_equal(as("as copy"), 0);
	assert_string_equal(name, "copy");
	assert_string_equal(rest, "");
	assert_int_equal(as("  as\tcopy  cpus=1 "), 0);
	assert_string_equal(name, "copy");
	assert_string_equal(rest, "cpus=1 ");
	assert_int_equal(as(""), 0); /* no name: the caller picks one */
	assert_string_equal(name, "");
	assert_string_equal(error, "untouched");
}

static void anything_but_as_name_is_refused(void **state)
{
	(void)state;
	assert_int_equal(as("copy"), -1);
	assert_non_null(strstr(error, "expected 'as NAME', not 'copy'"));
	assert_int_equal(as("as"), -1);
	assert_int_equal(as("as   "), -1);
	assert_non_null(strstr(error, "'as' needs a name"));
	assert_int_equal(as("ascopy"), -1);
	assert_int_equal(as("as cpus=1"), -1);
	assert_non_null(strstr(error, "not a key=value"));
	assert_int_equal(as("as a-name-much-too-long-for-it"), -1);
	assert_non_null(strstr(error, "longer than 15"));
}

static void the_new_keys_go_before_the_guests_part(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(snapshot_restore_line("/boot/guests/ticker.elf name=t cpus=0 -- n=5", "t2",
					       "cpus=1", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/boot/guests/ticker.elf name=t cpus=0 name=t2 cpus=1 -- n=5");
	assert_int_equal(snapshot_restore_line("img name=t", "t2", "", out, sizeof(out)), 0);
	assert_string_equal(out, "img name=t name=t2");
	/* A "--" inside a word is not the guest's part. */
	assert_int_equal(snapshot_restore_line("img a--b=1 --", "x", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "img a--b=1 name=x --");
}

static void a_line_too_long_is_refused(void **state)
{
	(void)state;
	char out[24];
	assert_int_equal(snapshot_restore_line("img name=t", "t2", "", out, sizeof(out)), 0);
	assert_int_equal(snapshot_restore_line("img name=t", "t2", "cpus=1", out, sizeof(out)), -1);
	assert_int_equal(snapshot_restore_line("a-very-long-image-path-x", "t", "", out, 24), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(as_takes_a_name_and_leaves_the_rest),
		cmocka_unit_test(anything_but_as_name_is_refused),
		cmocka_unit_test(the_new_keys_go_before_the_guests_part),
		cmocka_unit_test(a_line_too_long_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
