/*
 * Extended processor state: x87, SSE, AVX and AVX-512 registers (SDM Vol. 1, chapter 13).
 * kan itself never touches them (it is built with -mgeneral-regs-only), so every bit of this
 * state belongs to a guest. A CPU keeps the state of the last vCPU that ran on it; when
 * another vCPU is to run there, xstate_switch saves the old one's and loads the new one's.
 */
#ifndef KAN_ARCH_XSTATE_H
#define KAN_ARCH_XSTATE_H

#include <stdbool.h>
#include <stdint.h>

/* XCR0 state components (SDM Vol. 1, 13.1). */
#define XSTATE_X87	 (1ull << 0)
#define XSTATE_SSE	 (1ull << 1)
#define XSTATE_AVX	 (1ull << 2)
#define XSTATE_OPMASK	 (1ull << 5)
#define XSTATE_ZMM_HI256 (1ull << 6)
#define XSTATE_HI16_ZMM	 (1ull << 7)
#define XSTATE_AVX512	 (XSTATE_OPMASK | XSTATE_ZMM_HI256 | XSTATE_HI16_ZMM)

#define CR4_OSFXSR     (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_OSXSAVE    (1ul << 18)

struct xstate_info {
	bool xsave;	   /* XSAVE/XRSTOR and XCR0 exist; else FXSAVE/FXRSTOR (512 bytes) */
	bool xsaveopt;	   /* XSAVEOPT: skips components the guest left untouched */
	uint64_t mask;	   /* the components kan switches and offers: XCR0's value in kan */
	uint32_t size;	   /* bytes of one save area for `mask` (64-byte aligned start) */
	uint32_t cpuid_d0; /* CPUID.(0xD,0) EBX for each guest XCR0 is computed from this */
};

extern struct xstate_info xstate;

/* Once, on the boot CPU: what the CPU has, and which components kan gives guests
 * (x87, SSE, AVX, AVX-512; never supervisor state, PKRU, AMX or MPX). */
void xstate_probe(void);
/* On every CPU before its first guest: CR4.OSFXSR, CR4.OSXSAVE and XCR0 = xstate.mask. */
void xstate_cpu_init(void);
/* Fills `area` (xstate.size bytes) with the state a CPU has after RESET (SDM 9.1.1). */
void xstate_init_area(void *area);
/* Saves the CPU's extended state into `save` (if not NULL), loads it from `load`, and sets
 * XCR0 to `xcr0` (the state's owner's). Both areas are 64-byte aligned. */
void xstate_switch(void *save, const void *load, uint64_t xcr0);
/* Saves the CPU's extended state into `area` and leaves XCR0 at every component kan offers:
 * the CPU lets go of its owner (a vCPU that moves to another CPU takes its state along). */
void xstate_save(void *area);
/* The size CPUID.(0xD,0):EBX reports for a guest whose XCR0 is `xcr0`. */
uint32_t xstate_size_for(uint64_t xcr0);
/* The size CPUID.(0xD,1):EBX reports: the compacted form (XSAVEC) for `xcr0`. */
uint32_t xstate_compacted_size_for(uint64_t xcr0);
/* Whether `value` is a valid XCR0 for a guest: XSETBV's own checks (SDM Vol. 2, XSETBV)
 * with kan's offered components. */
bool xstate_xcr0_valid(uint64_t value);

static inline void xsetbv(uint32_t index, uint64_t value)
{
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

#endif
