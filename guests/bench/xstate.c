/*
 * Extended state for the bench guest. The guest is built with general registers only, so
 * the compiler never touches this state: only the asm below does, and it may use every
 * register without telling the compiler.
 */
#include "xstate.h"
#include "guest.h"

#define CR4_OSFXSR	    (1ull << 9)
#define CR4_OSXMMEXCPT	    (1ull << 10)
#define CR4_OSXSAVE	    (1ull << 18)
#define CPUID1_ECX_XSAVE    (1u << 26)
#define CPUID1_ECX_AVX	    (1u << 28)
#define CPUID7_EBX_AVX512F  (1u << 16)
#define CPUID7_EBX_AVX512BW (1u << 30) /* 64-bit opmask registers */
#define LEAF_XSAVE	    0xd
#define XCR0_AVX	    (1ull << 2)
#define XCR0_AVX512	    (7ull << 5) /* opmask, ZMM0-15 upper halves, ZMM16-31 */
#define MXCSR_DIRTY	    0xbf80	/* all exceptions masked, flush to zero, round down */

static unsigned enabled;
static int opmask_bits;

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

unsigned xstate_enable(uint64_t *xcr0)
{
	uint32_t a, b, c, d;
	write_cr4(guest_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	*xcr0 = 0;
	guest_cpuid(1, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_XSAVE))
		return enabled = 0;
	uint32_t leaf1_ecx = c;
	guest_cpuid(7, &a, &b, &c, &d);
	uint32_t leaf7_ebx = b;
	guest_cpuid(LEAF_XSAVE, &a, &b, &c, &d);
	*xcr0 = ((uint64_t)d << 32) | a;
	write_cr4(guest_read_cr4() | CR4_OSXSAVE);
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)*xcr0), "d"((uint32_t)(*xcr0 >> 32)));
	enabled = 0;
	if ((leaf1_ecx & CPUID1_ECX_AVX) && (*xcr0 & XCR0_AVX))
		enabled |= XSTATE_AVX;
	if ((leaf7_ebx & CPUID7_EBX_AVX512F) && (*xcr0 & XCR0_AVX512) == XCR0_AVX512) {
		enabled |= XSTATE_AVX512;
		opmask_bits = leaf7_ebx & CPUID7_EBX_AVX512BW ? 64 : 16;
	}
	return enabled;
}

void xstate_dirty(void)
{
	static const uint32_t mxcsr = MXCSR_DIRTY;
	/* All eight x87 registers hold a value (fninit first, so the stack never overflows). */
	__asm__ volatile("fninit; fld1; fldpi; fldl2t; fldl2e; fldlg2; fldln2; fld1; fldpi\n\t"
			 "ldmxcsr %0" ::"m"(mxcsr));
	if (enabled & XSTATE_AVX512) {
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,"
				 "22,23,24,25,26,27,28,29,30,31\n\t"
				 "vpternlogd $0xff, %%zmm\\r, %%zmm\\r, %%zmm\\r\n\t"
				 ".endr" ::);
		if (opmask_bits == 64)
			__asm__ volatile(".irp r,0,1,2,3,4,5,6,7\n\t"
					 "kxnorq %%k\\r, %%k\\r, %%k\\r\n\t"
					 ".endr" ::);
		else
			__asm__ volatile(".irp r,0,1,2,3,4,5,6,7\n\t"
					 "kxnorw %%k\\r, %%k\\r, %%k\\r\n\t"
					 ".endr" ::);
	} else if (enabled & XSTATE_AVX) {
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
				 "vpcmpeqd %%ymm\\r, %%ymm\\r, %%ymm\\r\n\t"
				 ".endr" ::);
	} else {
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
				 "pcmpeqd %%xmm\\r, %%xmm\\r\n\t"
				 ".endr" ::);
	}
}
