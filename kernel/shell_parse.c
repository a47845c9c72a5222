#include "kernel/shell_parse.h"
#include "kernel/format.h"
#include "kernel/string.h"

#define WORDS_MAX 4

/* Splits off up to WORDS_MAX words; *rest points at what follows the last one taken. */
static int split(const char *line, char words[WORDS_MAX][SHELL_LINE_MAX], int max,
		 const char **rest)
{
	int n = 0;
	const char *s = line;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || n == max)
			break;
		size_t len = 0;
		while (s[len] && s[len] != ' ' && s[len] != '\t' && s[len] != '\r' &&
		       s[len] != '\n')
			len++;
		if (len >= SHELL_LINE_MAX)
			len = SHELL_LINE_MAX - 1;
		memcpy(words[n], s, len);
		words[n][len] = '\0';
		n++;
		s += len;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			s++;
	}
	*rest = s;
	return n;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		out->verb = SHELL_NONE;                                                            \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

static const struct {
	const char *word;
	enum shell_verb verb;
} vm_verbs[] = {
	{ "list", SHELL_VM_LIST },	   { "info", SHELL_VM_INFO },
	{ "start", SHELL_VM_START },	   { "stop", SHELL_VM_STOP },
	{ "restart", SHELL_VM_RESTART },   { "pause", SHELL_VM_PAUSE },
	{ "resume", SHELL_VM_RESUME },	   { "destroy", SHELL_VM_DESTROY },
	{ "create", SHELL_VM_CREATE },	   { "set", SHELL_VM_SET },
	{ "snapshot", SHELL_VM_SNAPSHOT }, { "restore", SHELL_VM_RESTORE },
	{ "forget", SHELL_VM_FORGET },	   { "move", SHELL_VM_MOVE },
};

/* A decimal number of at most 4 digits, the whole of `s`; -1 otherwise. */
static int small_number(const char *s)
{
	int n = 0, digits = 0;
	for (; *s >= '0' && *s <= '9' && digits < 5; s++, digits++)
		n = n * 10 + (*s - '0');
	return *s || !digits || digits > 4 ? -1 : n;
}

/* vm move NAME[:VCPU] CPU: `name` is the third word, `rest` what follows it. */
static int parse_move(char *name, const char *rest, struct shell_command *out, char *error,
		      size_t error_size)
{
	while (*rest == ' ' || *rest == '\t')
		rest++;
	char cpu_word[SHELL_LINE_MAX];
	strlcpy(cpu_word, rest, sizeof(cpu_word));
	for (size_t len = strlen(cpu_word);
	     len && (cpu_word[len - 1] == ' ' || cpu_word[len - 1] == '\t');)
		cpu_word[--len] = '\0';
	if (!cpu_word[0])
		FAIL("vm move needs a VM id or name (NAME:VCPU for another vCPU than 0), then "
		     "a CPU");
	char *colon = strchr(name, ':');
	int vcpu = 0, cpu = small_number(cpu_word);
	if (colon) {
		*colon = '\0';
		vcpu = small_number(colon + 1);
	}
	if (vcpu < 0)
		FAIL("vm move: '%s' is no vCPU number", colon + 1);
	if (cpu < 0)
		FAIL("vm move: '%s' is no CPU number", cpu_word);
	strlcpy(out->target, name, sizeof(out->target));
	out->move_vcpu = (unsigned)vcpu;
	out->move_cpu = (unsigned)cpu;
	return 0;
}

static int parse_vm(char words[WORDS_MAX][SHELL_LINE_MAX], int n, const char *rest,
		    struct shell_command *out, char *error, size_t error_size)
{
	if (n < 2)
		FAIL("vm needs a subcommand: list, info, start, stop, restart, pause, resume, "
		     "destroy, create, set, snapshot, restore, forget, move");
	for (size_t i = 0; i < sizeof(vm_verbs) / sizeof(vm_verbs[0]); i++) {
		if (strcmp(words[1], vm_verbs[i].word))
			continue;
		out->verb = vm_verbs[i].verb;
		if (out->verb == SHELL_VM_MOVE && n == 3)
			return parse_move(words[2], rest, out, error, error_size);
		if (out->verb == SHELL_VM_LIST) {
			if (n > 2)
				FAIL("vm list takes nothing after it");
			return 0;
		}
		if (n < 3) {
			const char *needs =
				out->verb == SHELL_VM_CREATE
					? "the VM whose image to load, then options"
				: out->verb == SHELL_VM_SET	? "a VM id or name, then key=value"
				: out->verb == SHELL_VM_RESTORE ? "a snapshot, then 'as NAME'"
				: out->verb == SHELL_VM_FORGET	? "a snapshot's name"
				: out->verb == SHELL_VM_MOVE	? "a VM id or name (NAME:VCPU for "
								  "another vCPU than 0), then a CPU"
								: "a VM id or name";
			FAIL("vm %s needs %s", words[1], needs);
		}
		strlcpy(out->target, words[2], sizeof(out->target));
		if (out->verb == SHELL_VM_CREATE || out->verb == SHELL_VM_SET ||
		    out->verb == SHELL_VM_SNAPSHOT || out->verb == SHELL_VM_RESTORE) {
			while (*rest == ' ' || *rest == '\t')
				rest++;
			strlcpy(out->options, rest, sizeof(out->options));
		} else if (*rest) {
			const char *what =
				out->verb == SHELL_VM_FORGET ? "snapshot name" : "VM id or name";
			FAIL("vm %s takes one %s, not '%s'", words[1], what, rest);
		}
		return 0;
	}
	FAIL("unknown vm subcommand '%s' (try help)", words[1]);
}

int shell_parse(const char *line, struct shell_command *out, char *error, size_t error_size)
{
	char words[WORDS_MAX][SHELL_LINE_MAX];
	const char *rest;
	memset(out, 0, sizeof(*out));
	int n = split(line, words, 3, &rest);
	if (n == 0) {
		out->verb = SHELL_NONE;
		return 0;
	}
	if (!strcmp(words[0], "vm"))
		return parse_vm(words, n, rest, out, error, error_size);
	if (!strcmp(words[0], "help") && n == 1) {
		out->verb = SHELL_HELP;
		return 0;
	}
	if (!strcmp(words[0], "console")) {
		if (n != 2 || *rest)
			FAIL("console needs one VM id or name");
		out->verb = SHELL_CONSOLE;
		strlcpy(out->target, words[1], sizeof(out->target));
		return 0;
	}
	if (!strcmp(words[0], "cpu")) {
		if (n != 2 || strcmp(words[1], "list") || *rest)
			FAIL("the cpu command is: cpu list");
		out->verb = SHELL_CPU_LIST;
		return 0;
	}
	if (!strcmp(words[0], "stats") && n == 1) {
		out->verb = SHELL_STATS;
		return 0;
	}
	if (!strcmp(words[0], "shutdown") && n == 1) {
		out->verb = SHELL_SHUTDOWN;
		return 0;
	}
	if (!strcmp(words[0], "trace")) {
		out->verb = SHELL_TRACE;
		split(line, words, 1, &rest);
		while (*rest == ' ' || *rest == '\t')
			rest++;
		strlcpy(out->options, rest, sizeof(out->options));
		for (size_t n = strlen(out->options);
		     n && (out->options[n - 1] == ' ' || out->options[n - 1] == '\t' ||
			   out->options[n - 1] == '\r');)
			out->options[--n] = '\0';
		return 0;
	}
	if (!strcmp(words[0], "log")) {
		out->verb = SHELL_LOG;
		if (n == 1)
			return 0;
		static const char *const levels[] = { "quiet", "normal", "verbose" };
		for (int i = 0; i < 3; i++)
			if (n == 2 && !*rest && !strcmp(words[1], levels[i])) {
				out->log_level = (enum shell_log_level)i;
				out->has_log_level = 1;
				return 0;
			}
		FAIL("log takes quiet, normal or verbose");
	}
	if (!strcmp(words[0], "help") || !strcmp(words[0], "stats") ||
	    !strcmp(words[0], "shutdown"))
		FAIL("%s takes nothing after it", words[0]);
	FAIL("unknown command '%s' (try help)", words[0]);
}
