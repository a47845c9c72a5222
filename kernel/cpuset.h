/* A set of physical CPUs by index, as wide as KAN_MAX_CPUS: where a VM may run (cpus=) and
 * which CPUs run VMs at all. */
#ifndef KAN_KERNEL_CPUSET_H
#define KAN_KERNEL_CPUSET_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/limits.h"

#define CPUSET_WORDS ((KAN_MAX_CPUS + 63) / 64)

struct cpuset {
	uint64_t word[CPUSET_WORDS];
};

static inline bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
	return cpu < KAN_MAX_CPUS && (s->word[cpu / 64] >> (cpu % 64) & 1);
}

static inline void cpuset_add(struct cpuset *s, unsigned cpu)
{
	if (cpu < KAN_MAX_CPUS)
		s->word[cpu / 64] |= 1ull << (cpu % 64);
}

static inline unsigned cpuset_count(const struct cpuset *s)
{
	unsigned n = 0; /* no POPCNT: kan is built for any x86-64 */
	for (unsigned i = 0; i < CPUSET_WORDS; i++)
		for (uint64_t w = s->word[i]; w; w &= w - 1)
			n++;
	return n;
}

/* The lowest CPU in the set, or KAN_MAX_CPUS if it is empty. */
static inline unsigned cpuset_first(const struct cpuset *s)
{
	for (unsigned i = 0; i < CPUSET_WORDS; i++)
		if (s->word[i])
			return i * 64 + (unsigned)__builtin_ctzll(s->word[i]);
	return KAN_MAX_CPUS;
}

/* Whether every CPU of `a` is in `b`. */
static inline bool cpuset_within(const struct cpuset *a, const struct cpuset *b)
{
	for (unsigned i = 0; i < CPUSET_WORDS; i++)
		if (a->word[i] & ~b->word[i])
			return false;
	return true;
}

#endif
