/* The words of the snapshot commands and the config line of a restored VM: pure, unit-tested. */
#ifndef KAN_KERNEL_SNAPSHOT_LINE_H
#define KAN_KERNEL_SNAPSHOT_LINE_H

#include <stddef.h>

/* "as NAME [rest]": NAME into `name` and what follows into `rest`. "" gives an empty name and
 * 0 (the caller picks one); -1 with a message in `error` for anything else. */
int snapshot_parse_as(const char *options, char *name, size_t name_size, char *rest,
		      size_t rest_size, char *error, size_t error_size);

/* The restored VM's config line: the original's `line` with " name=NAME" and `extra` (say,
 * "cpus=1") put before its " -- " (the guest's part, if any), so that they win over the
 * original's keys. -1 if the result would not fit `size`. */
int snapshot_restore_line(const char *line, const char *name, const char *extra, char *out,
			  size_t size);

#endif
