#include "kernel/trace_select.h"

/* Letters and digits of `s` (at most len of them), lower case, into out[size]. */
static size_t squeeze(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && s[i] && n < size; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
	}
	return n;
}

bool trace_exit_name_matches(const char *name, const char *word, size_t len)
{
	char n[64], w[64];
	size_t name_len = squeeze(name, (size_t)-1, n, sizeof(n));
	size_t word_len = squeeze(word, len, w, sizeof(w));
	if (!word_len || word_len > name_len)
		return false;
	bool begins = true, ends = true;
	for (size_t i = 0; i < word_len; i++) {
		begins = begins && n[i] == w[i];
		ends = ends && n[name_len - word_len + i] == w[i];
	}
	return begins || ends;
}
