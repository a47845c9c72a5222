/* The management shell's grammar (kernel/shell_parse.c): every command form and every bad line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/shell_parse.h"

static struct shell_command cmd;
static char error[256];

/* Parses with `cmd` full of garbage and `error` marked, to see what the parser writes. */
static int parse(const char *line)
{
	memset(&cmd, 0x5a, sizeof(cmd));
	strcpy(error, "untouched");
	return shell_parse(line, &cmd, error, sizeof(error));
}

/* `line` parses to `verb` with this target and options; nothing else is set. */
static void parses_as(const char *line, enum shell_verb verb, const char *target,
		      const char *options)
{
	int rc = parse(line);
	if (rc != 0)
		fail_msg("\"%s\" refused: %s", line, error);
	assert_string_equal(error, "untouched"); /* no message on success */
	if (cmd.verb != verb)
		fail_msg("\"%s\" parsed as verb %d, expected %d", line, cmd.verb, verb);
	assert_string_equal(cmd.target, target);
	assert_string_equal(cmd.options, options);
	if (verb != SHELL_LOG) {
		assert_int_equal(cmd.has_log_level, 0);
		assert_int_equal(cmd.log_level, 0);
	}
}

/* `line` is refused with a message holding every one of the NULL-ended `parts`. */
static void refused_with(const char *line, const char *const *parts)
{
	int rc = parse(line);
	if (rc != -1)
		fail_msg("\"%s\" returned %d, expected a refusal", line, rc);
	assert_true(strlen(error) > 0);
	if (!strcmp(error, "untouched"))
		fail_msg("\"%s\" refused without a message", line);
	for (const char *const *p = parts; *p; p++)
		if (!strstr(error, *p))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", line, error, *p);
}
#define REFUSED(line, ...) refused_with(line, (const char *const[]){ __VA_ARGS__, NULL })

static void empty_and_blank_lines_are_none(void **state)
{
	(void)state;
	const char *const blank[] = { "", " ", "\t", "   ", "\t\t", " \t \t  ", "\t \t" };
	for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
		parses_as(blank[i], SHELL_NONE, "", "");
}

static void help(void **state)
{
	(void)state;
	parses_as("help", SHELL_HELP, "", "");
	parses_as("  help", SHELL_HELP, "", "");
	parses_as("help  \t", SHELL_HELP, "", "");
	parses_as("\thelp\t", SHELL_HELP, "", "");
}

static void vm_list(void **state)
{
	(void)state;
	parses_as("vm list", SHELL_VM_LIST, "", "");
	parses_as("   vm \t  list \t ", SHELL_VM_LIST, "", "");
	parses_as("vm\tlist", SHELL_VM_LIST, "", "");
}

static const struct {
	const char *word;
	enum shell_verb verb;
} targeted[] = {
	{ "info", SHELL_VM_INFO },	 { "start", SHELL_VM_START }, { "stop", SHELL_VM_STOP },
	{ "restart", SHELL_VM_RESTART }, { "pause", SHELL_VM_PAUSE }, { "resume", SHELL_VM_RESUME },
	{ "destroy", SHELL_VM_DESTROY },
};
#define TARGETED_COUNT (sizeof(targeted) / sizeof(targeted[0]))

static void vm_subcommands_take_an_id_or_a_name(void **state)
{
	(void)state;
	char line[128];
	for (size_t i = 0; i < TARGETED_COUNT; i++) {
		snprintf(line, sizeof(line), "vm %s 3", targeted[i].word);
		parses_as(line, targeted[i].verb, "3", "");
		snprintf(line, sizeof(line), "vm %s web-1", targeted[i].word);
		parses_as(line, targeted[i].verb, "web-1", "");
		snprintf(line, sizeof(line), "  vm\t\t%s   counter \t", targeted[i].word);
		parses_as(line, targeted[i].verb, "counter", "");
		snprintf(line, sizeof(line), "\tvm %s\t0\t", targeted[i].word);
		parses_as(line, targeted[i].verb, "0", "");
	}
}

static void vm_create_takes_an_image_and_the_rest_as_options(void **state)
{
	(void)state;
	parses_as("vm create counter.elf name=c mem=16M cpus=1 -- guest args", SHELL_VM_CREATE,
		  "counter.elf", "name=c mem=16M cpus=1 -- guest args");
	/* Spacing between the options is the config line's own business: kept as typed. */
	parses_as("vm create counter.elf  \t name=c   mem=16M", SHELL_VM_CREATE, "counter.elf",
		  "name=c   mem=16M");
	parses_as("\tvm\tcreate\thello.elf\tname=h", SHELL_VM_CREATE, "hello.elf", "name=h");
	/* Options may be left out: the config's defaults apply. */
	parses_as("vm create hello.elf", SHELL_VM_CREATE, "hello.elf", "");
	parses_as("vm create hello.elf \t  ", SHELL_VM_CREATE, "hello.elf", "");
	parses_as("vm create hello.elf name=h", SHELL_VM_CREATE, "hello.elf", "name=h");
}

static void vm_create_keeps_trailing_blanks_out_of_the_image(void **state)
{
	(void)state;
	assert_int_equal(parse("vm create a.elf name=x  "), 0);
	assert_int_equal(cmd.verb, SHELL_VM_CREATE);
	assert_string_equal(cmd.target, "a.elf");
	assert_memory_equal(cmd.options, "name=x", 6); /* trailing blanks, if kept, are harmless */
	assert_true(strspn(cmd.options + 6, " \t") == strlen(cmd.options + 6));
}

static void console_takes_an_id_or_a_name(void **state)
{
	(void)state;
	parses_as("console 2", SHELL_CONSOLE, "2", "");
	parses_as("console web", SHELL_CONSOLE, "web", "");
	parses_as(" \tconsole \t web \t", SHELL_CONSOLE, "web", "");
}

static void cpu_list_and_stats(void **state)
{
	(void)state;
	parses_as("cpu list", SHELL_CPU_LIST, "", "");
	parses_as("\tcpu   list ", SHELL_CPU_LIST, "", "");
	parses_as("stats", SHELL_STATS, "", "");
	parses_as("  stats\t", SHELL_STATS, "", "");
}

static void log_alone_shows_the_level(void **state)
{
	(void)state;
	parses_as("log", SHELL_LOG, "", "");
	assert_int_equal(cmd.has_log_level, 0);
	parses_as(" \tlog\t ", SHELL_LOG, "", "");
	assert_int_equal(cmd.has_log_level, 0);
}

static void trace_passes_its_words_on(void **state)
{
	(void)state;
	parses_as("trace", SHELL_TRACE, "", "");
	parses_as("  trace \t", SHELL_TRACE, "", "");
	parses_as("trace on", SHELL_TRACE, "", "on");
	parses_as("trace\ton exits=io,msr  ", SHELL_TRACE, "", "on exits=io,msr");
	parses_as("trace dump", SHELL_TRACE, "", "dump");
	parses_as("trace on a b c d e", SHELL_TRACE, "", "on a b c d e"); /* trace.c judges */
}

static void log_sets_each_level(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum shell_log_level level;
	} cases[] = {
		{ "log quiet", LOG_QUIET },	    { "log normal", LOG_NORMAL },
		{ "log verbose", LOG_VERBOSE },	    { "  log\tquiet ", LOG_QUIET },
		{ "\tlog   normal\t", LOG_NORMAL }, { "log \t verbose \t", LOG_VERBOSE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parses_as(cases[i].line, SHELL_LOG, "", "");
		assert_int_equal(cmd.has_log_level, 1);
		assert_int_equal(cmd.log_level, cases[i].level);
	}
}

static void a_success_clears_what_an_earlier_parse_left(void **state)
{
	(void)state;
	assert_int_equal(shell_parse("vm create big.elf name=big", &cmd, error, sizeof(error)), 0);
	assert_int_equal(shell_parse("log verbose", &cmd, error, sizeof(error)), 0);
	assert_int_equal(shell_parse("help", &cmd, error, sizeof(error)), 0);
	assert_int_equal(cmd.verb, SHELL_HELP);
	assert_string_equal(cmd.target, "");
	assert_string_equal(cmd.options, "");
	assert_int_equal(cmd.has_log_level, 0);
	assert_int_equal(shell_parse("", &cmd, error, sizeof(error)), 0);
	assert_int_equal(cmd.verb, SHELL_NONE);
}

static void unknown_commands_are_named(void **state)
{
	(void)state;
	REFUSED("frobnicate", "unknown command 'frobnicate'", "help");
	REFUSED("  frobnicate now please", "unknown command 'frobnicate'");
	REFUSED("VM list", "unknown command 'VM'"); /* words are case-sensitive */
	REFUSED("Help", "unknown command 'Help'");
	REFUSED("lists", "unknown command 'lists'");
	REFUSED("vmlist", "unknown command 'vmlist'");
	REFUSED("cpus list", "unknown command 'cpus'");
	REFUSED("helpme", "unknown command 'helpme'");
	parses_as("help\r\n", SHELL_HELP, "",
		  ""); /* a serial terminal sends CR: a line end is a blank */
}

static void vm_snapshot_restore_and_forget(void **state)
{
	(void)state;
	parses_as("vm snapshot web", SHELL_VM_SNAPSHOT, "web", "");
	parses_as("vm snapshot web as web-1", SHELL_VM_SNAPSHOT, "web", "as web-1");
	parses_as("vm restore web-1 as copy cpus=1", SHELL_VM_RESTORE, "web-1", "as copy cpus=1");
	parses_as("vm forget web-1", SHELL_VM_FORGET, "web-1", "");
	REFUSED("vm snapshot", "vm snapshot needs a VM id or name");
	REFUSED("vm restore", "vm restore needs a snapshot, then 'as NAME'");
	REFUSED("vm forget", "vm forget needs a snapshot's name");
	REFUSED("vm forget a b", "vm forget takes one snapshot name, not 'b'");
}

static void vm_needs_a_known_subcommand(void **state)
{
	(void)state;
	REFUSED("vm", "vm needs a subcommand", "list", "create");
	REFUSED("  vm \t ", "vm needs a subcommand");
	REFUSED("vm frob", "unknown vm subcommand 'frob'");
	REFUSED("vm frob 1", "unknown vm subcommand 'frob'");
	REFUSED("vm kill web", "unknown vm subcommand 'kill'");
	REFUSED("vm LIST", "unknown vm subcommand 'LIST'");
	REFUSED("vm 3 start", "unknown vm subcommand '3'");
}

static void vm_subcommands_without_a_target_are_refused(void **state)
{
	(void)state;
	char line[128], want[128];
	for (size_t i = 0; i < TARGETED_COUNT; i++) {
		snprintf(want, sizeof(want), "vm %s needs a VM id or name", targeted[i].word);
		snprintf(line, sizeof(line), "vm %s", targeted[i].word);
		REFUSED(line, want);
		snprintf(line, sizeof(line), " vm\t%s \t ", targeted[i].word);
		REFUSED(line, want);
	}
	REFUSED("vm create", "vm create needs the VM whose image");
	REFUSED("vm create \t ", "vm create needs the VM whose image");
	REFUSED("console", "console needs one VM id or name");
	REFUSED("console   ", "console needs one VM id or name");
}

static void extra_words_are_refused(void **state)
{
	(void)state;
	char line[128], want[128];
	REFUSED("vm list all", "vm list takes nothing after it");
	REFUSED("vm list all of them", "vm list takes nothing after it");
	for (size_t i = 0; i < TARGETED_COUNT; i++) {
		snprintf(want, sizeof(want), "vm %s takes one VM id or name", targeted[i].word);
		snprintf(line, sizeof(line), "vm %s 1 2", targeted[i].word);
		REFUSED(line, want);
		snprintf(line, sizeof(line), "vm %s web now please", targeted[i].word);
		REFUSED(line, want);
		snprintf(line, sizeof(line), "vm %s\tweb\t\tnow", targeted[i].word);
		REFUSED(line, want);
	}
	REFUSED("console 1 2", "console needs one VM id or name");
	REFUSED("console a b c", "console needs one VM id or name");
	REFUSED("help me", "help takes nothing after it");
	REFUSED("help vm list", "help takes nothing after it");
	REFUSED("stats now", "stats takes nothing after it");
	REFUSED("stats\t-v", "stats takes nothing after it");
	REFUSED("log quiet now", "log takes quiet, normal or verbose");
	REFUSED("log verbose verbose", "log takes quiet, normal or verbose");
}

/* The refusal quotes the extra words exactly as typed, from their first letter. */
static void extra_words_are_quoted_whole(void **state)
{
	(void)state;
	REFUSED("vm start web extra", "'extra'");
	REFUSED("vm stop 1 2", "'2'");
	REFUSED("vm info web now please", "'now please'");
	REFUSED("vm destroy web \t later", "'later'");
}

static void cpu_needs_list(void **state)
{
	(void)state;
	REFUSED("cpu", "the cpu command is: cpu list");
	REFUSED("cpu  \t", "cpu list");
	REFUSED("cpu show", "cpu list");
	REFUSED("cpu LIST", "cpu list");
	REFUSED("cpu list 0", "cpu list");
	REFUSED("cpu list all cpus", "cpu list");
}

static void log_refuses_other_levels(void **state)
{
	(void)state;
	const char *const bad[] = { "log loud",	   "log QUIET", "log 2",	 "log debug",
				    "log quietly", "log q",	"log normal-ish" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(bad[i], "log takes quiet, normal or verbose");
}

/* A word of `len` copies of `c`, in a buffer of its own so ASan sees any read past it. */
static char *repeat(char c, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + len + 1);
	assert_non_null(s);
	memcpy(s, prefix, plen);
	memset(s + plen, c, len);
	s[plen + len] = '\0';
	return s;
}

static bool all_are(const char *s, char c, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] != c)
			return false;
	return true;
}

static void over_long_words_are_cut_to_fit(void **state)
{
	(void)state;
	const size_t fits = SHELL_LINE_MAX - 1;
	const size_t lengths[] = { fits - 1, fits, fits + 1, fits + 2, 2 * SHELL_LINE_MAX, 1000 };
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t want = lengths[i] < fits ? lengths[i] : fits;
		char *line = repeat('x', lengths[i], "vm info ");
		assert_int_equal(parse(line), 0);
		assert_int_equal(cmd.verb, SHELL_VM_INFO);
		if (!all_are(cmd.target, 'x', want))
			fail_msg("a %zu-letter name kept %zu letters, expected %zu", lengths[i],
				 strlen(cmd.target), want);
		free(line);

		line = repeat('y', lengths[i], "console ");
		assert_int_equal(parse(line), 0);
		assert_int_equal(cmd.verb, SHELL_CONSOLE);
		assert_true(all_are(cmd.target, 'y', want));
		free(line);

		line = repeat('z', lengths[i], "vm create ");
		assert_int_equal(parse(line), 0);
		assert_int_equal(cmd.verb, SHELL_VM_CREATE);
		assert_true(all_are(cmd.target, 'z', want));
		assert_string_equal(cmd.options, "");
		free(line);

		line = repeat('o', lengths[i], "vm create a.elf ");
		assert_int_equal(parse(line), 0);
		assert_string_equal(cmd.target, "a.elf");
		assert_true(all_are(cmd.options, 'o', want));
		free(line);
	}
}

static void an_over_long_word_still_reaches_its_later_words(void **state)
{
	(void)state;
	/* The cut word is skipped in full: the next word is read from where it really starts. */
	char *line = repeat('n', 400, "vm stop ");
	char *with_extra = malloc(strlen(line) + sizeof(" extra"));
	assert_non_null(with_extra);
	strcpy(with_extra, line);
	strcat(with_extra, " extra");
	REFUSED(with_extra, "vm stop takes one VM id or name");
	free(with_extra);
	free(line);

	line = repeat('w', 400, "");
	char *help_after = malloc(strlen(line) + sizeof(" help"));
	assert_non_null(help_after);
	strcpy(help_after, line);
	strcat(help_after, " help");
	REFUSED(help_after, "unknown command 'www");
	free(help_after);
	free(line);
}

static void over_long_unknown_words_give_a_terminated_message(void **state)
{
	(void)state;
	const char *const prefixes[] = { "", "vm ", "log ", "cpu ", "help " };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char *line = repeat('q', 1000, prefixes[i]);
		assert_int_equal(parse(line), -1);
		assert_true(strlen(error) < sizeof(error));
		assert_true(strlen(error) > 0);
		free(line);
	}
	char *line = repeat('q', 1000, "");
	REFUSED(line, "unknown command 'qqqq");
	free(line);
	line = repeat('q', 1000, "vm ");
	REFUSED(line, "unknown vm subcommand 'qqqq");
	free(line);
}

static void a_small_error_buffer_is_never_overrun(void **state)
{
	(void)state;
	const char *const bad[] = { "frobnicate",   "vm",      "vm frob", "vm start", "vm list x",
				    "vm start 1 2", "console", "cpu",	  "log loud", "help me" };
	for (size_t size = 1; size <= 24; size++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *small = malloc(size); /* exactly `size` bytes: ASan guards the rest */
			assert_non_null(small);
			memset(small, '#', size);
			assert_int_equal(shell_parse(bad[i], &cmd, small, size), -1);
			assert_true(memchr(small, '\0', size) != NULL);
			assert_true(strlen(small) ==
				    size - 1); /* every message is longer than 24 */
			free(small);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_and_blank_lines_are_none),
		cmocka_unit_test(help),
		cmocka_unit_test(vm_list),
		cmocka_unit_test(vm_subcommands_take_an_id_or_a_name),
		cmocka_unit_test(vm_create_takes_an_image_and_the_rest_as_options),
		cmocka_unit_test(vm_create_keeps_trailing_blanks_out_of_the_image),
		cmocka_unit_test(console_takes_an_id_or_a_name),
		cmocka_unit_test(cpu_list_and_stats),
		cmocka_unit_test(log_alone_shows_the_level),
		cmocka_unit_test(trace_passes_its_words_on),
		cmocka_unit_test(log_sets_each_level),
		cmocka_unit_test(a_success_clears_what_an_earlier_parse_left),
		cmocka_unit_test(unknown_commands_are_named),
		cmocka_unit_test(vm_snapshot_restore_and_forget),
		cmocka_unit_test(vm_needs_a_known_subcommand),
		cmocka_unit_test(vm_subcommands_without_a_target_are_refused),
		cmocka_unit_test(extra_words_are_refused),
		cmocka_unit_test(extra_words_are_quoted_whole),
		cmocka_unit_test(cpu_needs_list),
		cmocka_unit_test(log_refuses_other_levels),
		cmocka_unit_test(over_long_words_are_cut_to_fit),
		cmocka_unit_test(an_over_long_word_still_reaches_its_later_words),
		cmocka_unit_test(over_long_unknown_words_give_a_terminated_message),
		cmocka_unit_test(a_small_error_buffer_is_never_overrun),
	};
	return cmocka_run_group_tests_name("shell_parse", tests, NULL, NULL);
}
