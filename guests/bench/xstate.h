/* Extended state for the bench guest: turn on what CPUID offers, then dirty all of it. */
#ifndef KAN_BENCH_XSTATE_H
#define KAN_BENCH_XSTATE_H

#include <stdint.h>

#define XSTATE_AVX    (1u << 0) /* YMM0-15 */
#define XSTATE_AVX512 (1u << 1) /* ZMM0-31 and the opmask registers */

/* Turns on SSE, and AVX / AVX-512 where CPUID offers XSAVE with them (CR4.OSXSAVE, then
 * XSETBV with the mask CPUID offers, in *xcr0; 0 without XSAVE). Returns XSTATE_* bits: what
 * xstate_dirty dirties beyond the x87 stack, MXCSR and XMM0-15. */
unsigned xstate_enable(uint64_t *xcr0);

/* Writes every register of the state xstate_enable turned on: the x87 stack, MXCSR, the
 * vector registers at their widest (XMM, YMM or ZMM), the opmask registers. */
void xstate_dirty(void);

#endif
