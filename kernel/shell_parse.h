/* The management shell's grammar: one line of text to one command (kernel/shell.c runs it). */
#ifndef KAN_KERNEL_SHELL_PARSE_H
#define KAN_KERNEL_SHELL_PARSE_H

#include <stddef.h>

enum shell_verb {
	SHELL_NONE, /* an empty line */
	SHELL_HELP,
	SHELL_VM_LIST,
	SHELL_VM_INFO,
	SHELL_VM_START,
	SHELL_VM_STOP,
	SHELL_VM_RESTART,
	SHELL_VM_PAUSE,
	SHELL_VM_RESUME,
	SHELL_VM_DESTROY,
	SHELL_VM_CREATE,
	SHELL_VM_SET,
	SHELL_VM_MOVE, /* target: the VM; move_vcpu, move_cpu */
	SHELL_CONSOLE,
	SHELL_CPU_LIST,
	SHELL_STATS,
	SHELL_LOG,
	SHELL_SHUTDOWN,
	SHELL_TRACE, /* options: what follows the word trace (kernel/trace.c reads it) */
	/* vm snapshot VM [as SNAP], vm restore SNAP as NAME [keys], vm forget SNAP: target is
	 * the VM or snapshot, options the rest (kernel/snapshot.c reads it) */
	SHELL_VM_SNAPSHOT,
	SHELL_VM_RESTORE,
	SHELL_VM_FORGET,
};

enum shell_log_level { LOG_QUIET, LOG_NORMAL, LOG_VERBOSE };

#define SHELL_LINE_MAX 160

struct shell_command {
	enum shell_verb verb;
	char target[SHELL_LINE_MAX];	/* VM id or name; for vm create, the image */
	char options[SHELL_LINE_MAX];	/* vm create: the VM's config line; vm set: its keys; trace:
					   its words */
	enum shell_log_level log_level; /* log */
	int has_log_level;		/* log without a level just shows it */
	unsigned move_vcpu, move_cpu;	/* vm move NAME[:VCPU] CPU (VCPU 0 unless given) */
};

/* Parses one line. 0, or -1 with a message in `error` a user can act on. */
int shell_parse(const char *line, struct shell_command *out, char *error, size_t error_size);

#endif
