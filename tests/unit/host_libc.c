/* What kernel/string.h promises and the host's C library lacks (glibc has strlcpy from 2.38). */
#include <string.h> /* for __GLIBC__ */

#include "kernel/string.h"

#if !defined(__GLIBC__) || __GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 38)
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t copy = n < size - 1 ? n : size - 1;
		memcpy(dst, src, copy);
		dst[copy] = '\0';
	}
	return n;
}
#endif
