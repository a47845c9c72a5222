/* The small library kan's 64-bit test guests share: console, hypercalls, timing. */
#ifndef KAN_GUEST_LIB_H
#define KAN_GUEST_LIB_H

#include <stdarg.h>
#include <stdint.h>

#include "kan_guest.h"

static inline int64_t kan_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	int64_t ret;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
	return ret;
}

static inline __attribute__((noreturn)) void kan_exit(int64_t status)
{
	kan_hypercall(KAN_HC_EXIT, (uint64_t)status, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void guest_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* Writes to the virtual UART at port 0x3f8. */
void guest_putc(char c);
void guest_puts(const char *s);
/* printf subset: %s %c %d %u %x %lu %ld %lx %%. */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline uint64_t kan_time_ns(void)
{
	return (uint64_t)kan_hypercall(KAN_HC_TIME_NS, 0, 0, 0);
}

/* The number after "key=" in the guest's arguments (after " -- " on its grub.cfg line), or
 * `fallback` when there is none. */
uint64_t guest_arg(const struct kan_start_info *info, const char *key, uint64_t fallback);

/* Each test guest defines this; its return value is the exit status. */
int64_t guest_main(const struct kan_start_info *info);

#endif
