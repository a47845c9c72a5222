#include "kernel/vm_config.h"
#include "kernel/format.h"
#include "kernel/string.h"

#include <stdbool.h>

#define TOKEN_MAX 128

static int parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	if (parse_u64(&s, &v))
		return -1;
	unsigned shift = 0;
	switch (*s) {
	case 'K':
	case 'k':
		shift = 10;
		s++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		s++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		s++;
		break;
	default:
		break;
	}
	if (*s || (v << shift) >> shift != v)
		return -1;
	*out = v << shift;
	return 0;
}

int parse_duration_us(const char *s, uint64_t max_us, uint64_t *out)
{
	uint64_t v;
	if (parse_u64(&s, &v))
		return -1;
	uint64_t unit;
	if (!strcmp(s, "us"))
		unit = 1;
	else if (!strcmp(s, "ms"))
		unit = 1000;
	else if (!strcmp(s, "s"))
		unit = 1000000;
	else
		return -1;
	if (v == 0 || v > max_us / unit)
		return -1;
	*out = v * unit;
	return 0;
}

int parse_cpu_list(const char *s, struct cpuset *cpus)
{
	struct cpuset m = { 0 };
	for (;;) {
		uint64_t first, last;
		if (parse_u64(&s, &first))
			return -1;
		last = first;
		if (*s == '-') {
			s++;
			if (parse_u64(&s, &last) || last < first)
				return -1;
		}
		if (last >= KAN_MAX_CPUS)
			return -1;
		for (uint64_t c = first; c <= last; c++)
			cpuset_add(&m, (unsigned)c);
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return -1;
	}
	*cpus = m;
	return 0;
}

/* A key that takes one of two words: sets *on for `on_word`; false for anything else. */
static bool parse_switch(const char *value, const char *off_word, const char *on_word, bool *on)
{
	if (strcmp(value, off_word) && strcmp(value, on_word))
		return false;
	*on = !strcmp(value, on_word);
	return true;
}

static bool valid_name(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= KAN_VM_NAME_MAX)
		return false;
	for (; *v; v++) {
		char c = *v;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/*
 * Splits the next whitespace-separated token into key and value; returns false at the end.
 * A token too long for the buffer comes back with *value = NULL and `too_long` set.
 */
static bool next_token(const char **line, char *token, char **value, bool *too_long)
{
	const char *s = *line;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return false;
	size_t n = 0;
	*too_long = false;
	while (*s && *s != ' ' && *s != '\t') {
		if (n < TOKEN_MAX - 1)
			token[n++] = *s;
		else
			*too_long = true;
		s++;
	}
	token[n] = '\0';
	*line = s;
	char *eq = strchr(token, '=');
	*value = NULL;
	if (eq) {
		*eq = '\0';
		*value = eq + 1;
	}
	return true;
}

/* "NAME" or "NAME:ro". */
static int parse_disk(const char *value, struct vm_config *out)
{
	char name[KAN_VM_NAME_MAX];
	const char *colon = strchr(value, ':');
	size_t n = colon ? (size_t)(colon - value) : strlen(value);
	if (n >= sizeof(name) || (colon && strcmp(colon, ":ro")))
		return -1;
	memcpy(name, value, n);
	name[n] = '\0';
	if (!valid_name(name))
		return -1;
	strlcpy(out->disk, name, sizeof(out->disk));
	out->disk_read_only = colon != NULL;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "52:54:00:12:34:56": a unicast address (bit 0 of the first byte clear), not all zero. */
static int parse_mac(const char *v, uint8_t mac[VM_MAC_LEN])
{
	uint8_t m[VM_MAC_LEN];
	for (unsigned i = 0; i < VM_MAC_LEN; i++) {
		int hi = hex_digit(v[0]), lo = hi < 0 ? -1 : hex_digit(v[1]);
		if (lo < 0 || v[2] != (i == VM_MAC_LEN - 1 ? '\0' : ':'))
			return -1;
		m[i] = (uint8_t)(hi << 4 | lo);
		v += 3;
	}
	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -1;
	memcpy(mac, m, VM_MAC_LEN);
	return 0;
}

void vm_config_mac(const struct vm_config *config, uint8_t mac[VM_MAC_LEN])
{
	static const uint8_t zero[VM_MAC_LEN];
	if (memcmp(config->mac, zero, VM_MAC_LEN)) {
		memcpy(mac, config->mac, VM_MAC_LEN);
		return;
	}
	uint32_t h = 2166136261u; /* FNV-1a of the name */
	for (const char *c = config->name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	const uint8_t prefix[3] = { 0x52, 0x54, 0x00 };
	memcpy(mac, prefix, 3);
	mac[3] = (uint8_t)(h >> 16), mac[4] = (uint8_t)(h >> 8), mac[5] = (uint8_t)h;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

/* One key=value of a VM's line into `out`. 0, or -1 with a message naming key and value. */
static int parse_key(const char *token, const char *value, const struct vm_config_limits *limits,
		     struct vm_config *out, char *error, size_t error_size)
{
	if (!strcmp(token, "name")) {
		if (!valid_name(value))
			REFUSE("key 'name' has bad value '%s' (1-%d characters of a-z A-Z "
			       "0-9 - _ .)",
			       value, KAN_VM_NAME_MAX - 1);
		strlcpy(out->name, value, sizeof(out->name));
	} else if (!strcmp(token, "mem")) {
		if (parse_size(value, &out->mem) || out->mem < VM_MEM_MIN || (out->mem & 0xfff))
			REFUSE("key 'mem' has bad value '%s' (a size of at least 1M, like "
			       "16M or 1G)",
			       value);
	} else if (!strcmp(token, "cpus")) {
		struct cpuset cpus;
		if (parse_cpu_list(value, &cpus))
			REFUSE("key 'cpus' has bad value '%s' (a list like 0,2 or a range "
			       "like 0-3)",
			       value);
		if (!cpuset_within(&cpus, &limits->cpus_present))
			REFUSE("key 'cpus' has bad value '%s' (no such CPU: kan runs VMs "
			       "on "
			       "%u CPUs, numbered from 0)",
			       value, cpuset_count(&limits->cpus_present));
		out->cpus = cpus;
	} else if (!strcmp(token, "slice")) {
		uint64_t us;
		if (parse_duration_us(value, VM_SLICE_MAX_US, &us))
			REFUSE("key 'slice' has bad value '%s' (a duration like 10ms or "
			       "500us, at most 10s)",
			       value);
		out->slice_us = (uint32_t)us;
	} else if (!strcmp(token, "kind")) {
		if (!strcmp(value, "elf"))
			out->kind = VM_KIND_ELF;
		else if (!strcmp(value, "linux"))
			out->kind = VM_KIND_LINUX;
		else if (!strcmp(value, "initrd"))
			out->kind = VM_KIND_INITRD;
		else if (!strcmp(value, "disk"))
			out->kind = VM_KIND_DISK;
		else if (!strcmp(value, "multiboot"))
			out->kind = VM_KIND_MULTIBOOT;
		else if (!strcmp(value, "multiboot2"))
			out->kind = VM_KIND_MULTIBOOT2;
		else if (!strcmp(value, "data"))
			out->kind = VM_KIND_DATA;
		else if (!strcmp(value, "pvh"))
			out->kind = VM_KIND_PVH;
		else
			REFUSE("key 'kind' has bad value '%s' (elf, linux, initrd, disk, "
			       "multiboot, multiboot2, data or pvh)",
			       value);
	} else if (!strcmp(token, "module")) {
		if (!valid_name(value))
			REFUSE("key 'module' has bad value '%s' (the name of a kind=data "
			       "module)",
			       value);
		if (out->module_count == VM_MODULES_MAX)
			REFUSE("key 'module' is given more than %d times", VM_MODULES_MAX);
		strlcpy(out->modules[out->module_count++], value, KAN_VM_NAME_MAX);
	} else if (!strcmp(token, "exitport")) {
		if (!parse_switch(value, "no", "yes", &out->exit_port))
			REFUSE("key 'exitport' has bad value '%s' (yes or no)", value);
	} else if (!strcmp(token, "initrd")) {
		if (!valid_name(value))
			REFUSE("key 'initrd' has bad value '%s' (the name of a kind=initrd "
			       "module)",
			       value);
		strlcpy(out->initrd, value, sizeof(out->initrd));
	} else if (!strcmp(token, "on_crash")) {
		if (!parse_switch(value, "stop", "restart", &out->restart_on_crash))
			REFUSE("key 'on_crash' has bad value '%s' (stop or restart)", value);
	} else if (!strcmp(token, "on_reset")) {
		bool restart;
		if (!parse_switch(value, "stop", "restart", &restart))
			REFUSE("key 'on_reset' has bad value '%s' (restart or stop)", value);
		out->stop_on_reset = !restart;
	} else if (!strcmp(token, "vcpus")) {
		uint64_t n;
		const char *v = value;
		if (parse_u64(&v, &n) || *v || n < 1 || n > KAN_VM_VCPUS_MAX)
			REFUSE("key 'vcpus' has bad value '%s' (a number from 1 to %d)", value,
			       KAN_VM_VCPUS_MAX);
		out->vcpus = (unsigned)n;
	} else if (!strcmp(token, "restarts")) {
		uint64_t n;
		const char *v = value;
		if (parse_u64(&v, &n) || *v || n > 1000)
			REFUSE("key 'restarts' has bad value '%s' (a number from 0 to "
			       "1000)",
			       value);
		out->restart_limit = (unsigned)n;
	} else if (!strcmp(token, "autostart")) {
		if (!parse_switch(value, "no", "yes", &out->autostart))
			REFUSE("key 'autostart' has bad value '%s' (yes or no)", value);
	} else if (!strcmp(token, "timeout")) {
		if (parse_duration_us(value, VM_TIMEOUT_MAX_US, &out->timeout_us))
			REFUSE("key 'timeout' has bad value '%s' (a duration like 5s, at "
			       "most a day)",
			       value);
	} else if (!strcmp(token, "disk")) {
		if (parse_disk(value, out))
			REFUSE("key 'disk' has bad value '%s' (the name of a kind=disk "
			       "module, with :ro for read-only)",
			       value);
	} else if (!strcmp(token, "net")) {
		if (!valid_name(value))
			REFUSE("key 'net' has bad value '%s' (a switch name of 1-%d "
			       "characters of a-z A-Z 0-9 - _ .)",
			       value, KAN_VM_NAME_MAX - 1);
		strlcpy(out->net, value, sizeof(out->net));
	} else if (!strcmp(token, "mac")) {
		if (parse_mac(value, out->mac))
			REFUSE("key 'mac' has bad value '%s' (six hex bytes like "
			       "52:54:00:12:34:56, unicast, not all zero)",
			       value);
	} else if (!strcmp(token, "console")) {
		/* read first, at boot (kernel/console_config.c) */
	} else if (!strcmp(token, "weight")) {
		uint64_t n;
		const char *v = value;
		if (parse_u64(&v, &n) || *v || n < 1 || n > VM_WEIGHT_MAX)
			REFUSE("key 'weight' has bad value '%s' (a number from 1 to %d; the "
			       "default is %d)",
			       value, VM_WEIGHT_MAX, VM_WEIGHT_DEFAULT);
		out->weight = (uint32_t)n;
	} else if (!strcmp(token, "cap")) {
		uint64_t n;
		const char *v = value;
		if (parse_u64(&v, &n) || (*v && strcmp(v, "%")) || n < 1 || n > 100)
			REFUSE("key 'cap' has bad value '%s' (a share of its CPU from 1%% to "
			       "100%%, like 25%%)",
			       value);
		out->cap_pct = n == 100 ? 0 : (uint32_t)n;
	} else if (!strcmp(token, "budget")) {
		if (parse_duration_us(value, VM_PERIOD_MAX_US, &out->budget_us) ||
		    out->budget_us < VM_BUDGET_MIN_US)
			REFUSE("key 'budget' has bad value '%s' (a duration from 100us to 1s, "
			       "with period=)",
			       value);
	} else if (!strcmp(token, "period")) {
		if (parse_duration_us(value, VM_PERIOD_MAX_US, &out->period_us) ||
		    out->period_us < VM_PERIOD_MIN_US)
			REFUSE("key 'period' has bad value '%s' (a duration from 1ms to 1s, "
			       "with budget=)",
			       value);
	} else if (!strcmp(token, "console")) {
		/* read first, at boot (kernel/console_config.c) */
	} else {
		REFUSE("unknown key '%s' (value '%s')", token, value);
	}
	return 0;
}

/* What keys say together: a reservation needs both keys, fits its period and its cap. */
static int check_share(const struct vm_config *c, char *error, size_t error_size)
{
	if (!c->budget_us != !c->period_us) {
		if (c->budget_us)
			REFUSE("key 'budget' has value '%luus' without a period= (a reservation "
			       "is budget= and period= together)",
			       c->budget_us);
		REFUSE("key 'period' has value '%luus' without a budget= (a reservation is "
		       "budget= and period= together)",
		       c->period_us);
	}
	if (c->budget_us > c->period_us)
		REFUSE("key 'budget' has bad value '%luus' (more than its period of %luus)",
		       c->budget_us, c->period_us);
	if (c->cap_pct && c->period_us && c->budget_us * 100 > c->period_us * c->cap_pct)
		REFUSE("key 'cap' has bad value '%u%%' (less than its reservation, budget %luus "
		       "in every %luus)",
		       c->cap_pct, c->budget_us, c->period_us);
	return 0;
}

int vm_config_parse(const char *line, const struct vm_config_limits *limits, struct vm_config *out,
		    char *error, size_t error_size)
{
	memset(out, 0, sizeof(*out));
	out->mem = VM_MEM_DEFAULT;
	cpuset_add(&out->cpus, cpuset_first(&limits->cpus_present)); /* the first CPU */
	out->slice_us = limits->default_slice_us;
	out->restart_limit = VM_RESTART_LIMIT_DEFAULT;
	out->vcpus = 1;
	out->weight = VM_WEIGHT_DEFAULT;
	out->autostart = true;
	strlcpy(out->name, limits->default_name ? limits->default_name : "vm", sizeof(out->name));

	char token[TOKEN_MAX];
	char *value;
	bool too_long;
	for (bool first = true; next_token(&line, token, &value, &too_long); first = false) {
		if (too_long)
			REFUSE("option '%s...' is longer than %d characters", token, TOKEN_MAX - 1);
		if (!value && !strcmp(token, "--"))
			break; /* the rest of the line is the guest's (kan_start_info.cmdline) */
		if (!value) {
			if (first)
				continue; /* the image path GRUB passes before the options */
			REFUSE("option '%s' has no value (write key=value)", token);
		}
		if (parse_key(token, value, limits, out, error, error_size))
			return -1;
	}
	return check_share(out, error, error_size);
}

int vm_config_set(const char *line, const struct vm_config_limits *limits,
		  const struct vm_config *current, struct vm_config *out, char *error,
		  size_t error_size)
{
	static const char *const live[] = { "slice", "weight", "cap", "budget", "period", "cpus" };
	struct vm_config next = *current;
	char token[TOKEN_MAX];
	char *value;
	bool too_long, any = false;
	while (next_token(&line, token, &value, &too_long)) {
		if (too_long)
			REFUSE("option '%s...' is longer than %d characters", token, TOKEN_MAX - 1);
		if (!value)
			REFUSE("option '%s' has no value (write key=value)", token);
		bool allowed = false;
		for (unsigned i = 0; i < sizeof(live) / sizeof(live[0]); i++)
			allowed |= !strcmp(token, live[i]);
		if (!allowed)
			REFUSE("key '%s' cannot change while the VM exists (vm set takes slice, "
			       "weight, cap, budget, period and cpus)",
			       token);
		if (parse_key(token, value, limits, &next, error, error_size))
			return -1;
		any = true;
	}
	if (!any)
		REFUSE("nothing to set (write key=value: slice, weight, cap, budget, period, "
		       "cpus)");
	if (check_share(&next, error, error_size))
		return -1;
	*out = next;
	return 0;
}

const char *vm_config_guest_args(const char *line)
{
	for (const char *p = line; *p; p++)
		if (p[0] == '-' && p[1] == '-' && (p == line || p[-1] == ' ') &&
		    (p[2] == ' ' || p[2] == '\0'))
			return p[2] ? p + 3 : p + 2;
	return "";
}

int kan_config_parse(const char *line, struct kan_config *out, char *error, size_t error_size)
{
	out->default_slice_us = VM_SLICE_DEFAULT_US;
	out->selftest = SELFTEST_NONE;
	out->wait_when_empty = false;
	out->on_end = KAN_END_POWEROFF;
	out->emulator_exit = true;
	out->check = false;
	out->x2apic = X2APIC_AUTO;
	out->trace[0] = '\0';
	out->balance = false;
	char token[TOKEN_MAX];
	char *value;
	bool too_long;
	for (bool first = true; next_token(&line, token, &value, &too_long); first = false) {
		if (too_long)
			REFUSE("option '%s...' is longer than %d characters", token, TOKEN_MAX - 1);
		if (!value) {
			if (!strcmp(token, "check")) { /* GRUB passes the line without the path */
				out->check = true;
				continue;
			}
			if (first)
				continue; /* the kernel path */
			REFUSE("option '%s' has no value (write key=value)", token);
		}
		if (!strcmp(token, "slice")) {
			uint64_t us;
			if (parse_duration_us(value, VM_SLICE_MAX_US, &us))
				REFUSE("key 'slice' has bad value '%s' (a duration like 10ms)",
				       value);
			out->default_slice_us = (uint32_t)us;
		} else if (!strcmp(token, "on_empty")) {
			if (!parse_switch(value, "shutdown", "wait", &out->wait_when_empty))
				REFUSE("key 'on_empty' has bad value '%s' (shutdown or wait)",
				       value);
		} else if (!strcmp(token, "on_end")) {
			static const char *const ends[] = { [KAN_END_POWEROFF] = "poweroff",
							    [KAN_END_REBOOT] = "reboot",
							    [KAN_END_HALT] = "halt" };
			unsigned i = 0;
			while (i < 3 && strcmp(value, ends[i]))
				i++;
			if (i == 3)
				REFUSE("key 'on_end' has bad value '%s' (poweroff, reboot or halt)",
				       value);
			out->on_end = (enum kan_on_end)i;
		} else if (!strcmp(token, "emulator_exit")) {
			bool no;
			if (!parse_switch(value, "yes", "no", &no))
				REFUSE("key 'emulator_exit' has bad value '%s' (yes or no)", value);
			out->emulator_exit = !no;
		} else if (!strcmp(token, "trace")) {
			if (strlcpy(out->trace, value, sizeof(out->trace)) >= sizeof(out->trace))
				REFUSE("key 'trace' has a value longer than %zu characters",
				       sizeof(out->trace) - 1);
		} else if (!strcmp(token, "balance")) {
			bool on;
			if (!parse_switch(value, "off", "on", &on))
				REFUSE("key 'balance' has bad value '%s' (on or off)", value);
			out->balance = on;
		} else if (!strcmp(token, "x2apic")) {
			if (!strcmp(value, "on"))
				out->x2apic = X2APIC_ON;
			else if (!strcmp(value, "off"))
				out->x2apic = X2APIC_OFF;
			else if (!strcmp(value, "auto"))
				out->x2apic = X2APIC_AUTO;
			else
				REFUSE("key 'x2apic' has bad value '%s' (on, off or auto)", value);
		} else if (!strcmp(token, "selftest")) {
			static const char *const names[] = {
				[SELFTEST_PAGEFAULT] = "pagefault",
				[SELFTEST_WRITE_TEXT] = "write-text",
				[SELFTEST_EXEC_DATA] = "exec-data",
				[SELFTEST_STACK_OVERFLOW] = "stack-overflow",
				[SELFTEST_SMEP] = "smep",
				[SELFTEST_SMAP] = "smap",
				[SELFTEST_AP_STACK_OVERFLOW] = "ap-stack-overflow",
				[SELFTEST_NMI] = "nmi",
				[SELFTEST_IST_STACK_OVERFLOW] = "ist-stack-overflow",
				[SELFTEST_ENTRY_FAILURE] = "entry-failure",
				[SELFTEST_STRAY_IRQ] = "stray-irq",
				[SELFTEST_XD_DISABLED] = "xd-disabled",
				[SELFTEST_XD_LOCKED] = "xd-locked",
				[SELFTEST_HOST_NMI] = "host-nmi",
				[SELFTEST_MACHINE_CHECK] = "machine-check",
				[SELFTEST_NO_PREEMPTION_TIMER] = "no-preemption-timer",
			};
			out->selftest = SELFTEST_NONE;
			for (unsigned i = 1; i < sizeof(names) / sizeof(names[0]); i++)
				if (!strcmp(value, names[i]))
					out->selftest = (enum kan_selftest)i;
			if (out->selftest == SELFTEST_NONE)
				REFUSE("key 'selftest' has bad value '%s' (pagefault, write-text, "
				       "exec-data, stack-overflow, smep, smap or "
				       "ap-stack-overflow)",
				       value);
		} else if (!strcmp(token, "console")) {
			/* read first, at boot (kernel/console_config.c) */
		} else {
			REFUSE("unknown key '%s' (value '%s')", token, value);
		}
	}
	return 0;
}
