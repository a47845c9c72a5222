#include "kernel/snapshot_line.h"
#include "kernel/format.h"
#include "kernel/string.h"

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int snapshot_parse_as(const char *options, char *name, size_t name_size, char *rest,
		      size_t rest_size, char *error, size_t error_size)
{
	const char *s = skip_blanks(options);
	name[0] = rest[0] = '\0';
	if (!*s)
		return 0;
	if (strncmp(s, "as", 2) || (s[2] != ' ' && s[2] != '\t')) {
		ksnprintf(error, error_size, "expected 'as NAME', not '%s'", s);
		return -1;
	}
	s = skip_blanks(s + 2);
	size_t len = 0;
	while (s[len] && s[len] != ' ' && s[len] != '\t')
		len++;
	if (!len) {
		ksnprintf(error, error_size, "'as' needs a name after it");
		return -1;
	}
	if (len >= name_size) {
		ksnprintf(error, error_size, "the name after 'as' is longer than %u characters",
			  (unsigned)name_size - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (s[i] == '=') {
			ksnprintf(error, error_size, "expected a name after 'as', not a key=value");
			return -1;
		}
	memcpy(name, s, len);
	name[len] = '\0';
	strlcpy(rest, skip_blanks(s + len), rest_size);
	return 0;
}

int snapshot_restore_line(const char *line, const char *name, const char *extra, char *out,
			  size_t size)
{
	/* The guest's part begins at a "--" word: keys after it are not kan's. */
	const char *guest = NULL;
	for (const char *s = line; *s; s++)
		if ((s == line || s[-1] == ' ') && s[0] == '-' && s[1] == '-' &&
		    (s[2] == ' ' || !s[2])) {
			guest = s;
			break;
		}
	size_t head = guest ? (size_t)(guest - line) : strlen(line);
	while (head && line[head - 1] == ' ')
		head--;
	if (head >= size)
		return -1;
	memcpy(out, line, head); /* ksnprintf has no precision: the head goes in by hand */
	int n = ksnprintf(out + head, size - head, " name=%s%s%s%s%s", name,
			  extra && *extra ? " " : "", extra ? extra : "", guest ? " " : "",
			  guest ? guest : "");
	return n < 0 || (size_t)n >= size - head ? -1 : 0;
}
