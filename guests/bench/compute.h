/* The compute benchmark, shared by the bench guest and the bare-metal build of it. */
#ifndef KAN_BENCH_COMPUTE_H
#define KAN_BENCH_COMPUTE_H

#include <stdint.h>

#define COMPUTE_ROUNDS 2000

/* A fixed amount of integer work (a linear congruential generator, no memory traffic). */
uint64_t compute_work(uint64_t seed, unsigned rounds);

static inline uint64_t compute_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

#endif
