/* printf-style formatting into a buffer; the engine behind printk, shared with the unit tests. */
#ifndef KAN_KERNEL_FORMAT_H
#define KAN_KERNEL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supports %d %i %u %x %X %p %s %c %% with flags '-' and '0', a width, and the
 * length modifiers l, ll, z. Always terminates; returns the length it wanted to write.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
