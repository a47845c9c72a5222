/* Extended processor state: probing, save areas and the switch between two owners. */
#include "arch/x86_64/xstate.h"
#include "arch/x86_64/cpu.h"
#include "kernel/string.h"

#define CPUID_1_ECX_XSAVE     (1u << 26)
#define CPUID_D1_EAX_XSAVEOPT (1u << 0)
#define LEGACY_AND_HEADER     576 /* the FXSAVE image (512) and the XSAVE header (64) */
#define FXSAVE_SIZE	      512
#define MXCSR_OFFSET	      24
#define MXCSR_RESET	      0x1f80
#define FCW_RESET	      0x037f /* after FNINIT, which every OS runs first */

/* The components kan may offer: everything a guest's user code uses that needs no help from
 * kan. PKRU would need CR4.PKE and is not offered; AMX needs 8 KiB and XFD; MPX is gone. */
#define XSTATE_OFFERED (XSTATE_X87 | XSTATE_SSE | XSTATE_AVX | XSTATE_AVX512)

struct xstate_info xstate;
static uint32_t component_end[8];  /* offset + size of each user component in the standard form */
static uint32_t component_size[8]; /* its size, and whether the compacted form aligns it to 64 */
static bool component_aligned[8];

void xstate_probe(void)
{
	xstate = (struct xstate_info){ .mask = XSTATE_X87 | XSTATE_SSE, .size = FXSAVE_SIZE };
	if (cpuid(0, 0).eax < 0xd || !(cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE))
		return;
	struct cpuid_regs d0 = cpuid(0xd, 0);
	uint64_t mask = (((uint64_t)d0.edx << 32) | d0.eax) & XSTATE_OFFERED;
	if (!(mask & XSTATE_AVX))
		mask &= ~XSTATE_AVX512;
	if ((mask & XSTATE_AVX512) != XSTATE_AVX512)
		mask &= ~XSTATE_AVX512; /* the three AVX-512 components go together */
	uint32_t size = LEGACY_AND_HEADER;
	for (unsigned i = 2; i < 8; i++) {
		if (!(mask & (1ull << i)))
			continue;
		struct cpuid_regs c = cpuid(0xd, i);
		component_end[i] = c.ebx + c.eax;
		component_size[i] = c.eax;
		component_aligned[i] = c.ecx & 2;
		if (component_end[i] > size)
			size = component_end[i];
	}
	xstate.xsave = true;
	xstate.xsaveopt = cpuid(0xd, 1).eax & CPUID_D1_EAX_XSAVEOPT;
	xstate.mask = mask;
	xstate.size = size;
}

void xstate_cpu_init(void)
{
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (xstate.xsave)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (xstate.xsave)
		xsetbv(0, xstate.mask);
}

void xstate_init_area(void *area)
{
	memset(area, 0, xstate.size);
	/* XRSTOR with a zero XSTATE_BV puts x87, SSE and AVX in their initial state but still
	 * loads MXCSR from the image; FXRSTOR loads everything from it. */
	*(uint16_t *)area = FCW_RESET;
	*(uint32_t *)((char *)area + MXCSR_OFFSET) = MXCSR_RESET;
}

uint32_t xstate_size_for(uint64_t xcr0)
{
	uint32_t size = LEGACY_AND_HEADER;
	for (unsigned i = 2; i < 8; i++)
		if ((xcr0 & (1ull << i)) && component_end[i] > size)
			size = component_end[i];
	return size;
}

uint32_t xstate_compacted_size_for(uint64_t xcr0)
{
	uint32_t size = LEGACY_AND_HEADER;
	for (unsigned i = 2; i < 8; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		if (component_aligned[i])
			size = (size + 63) & ~63u;
		size += component_size[i];
	}
	return size;
}

bool xstate_xcr0_valid(uint64_t value)
{
	if (!(value & XSTATE_X87) || (value & ~xstate.mask))
		return false;
	if ((value & XSTATE_AVX) && !(value & XSTATE_SSE))
		return false;
	uint64_t avx512 = value & XSTATE_AVX512;
	return !avx512 || (avx512 == XSTATE_AVX512 && (value & XSTATE_AVX));
}

void xstate_switch(void *save, const void *load, uint64_t xcr0)
{
	uint32_t lo = (uint32_t)xstate.mask, hi = (uint32_t)(xstate.mask >> 32);
	if (!xstate.xsave) {
		if (save)
			__asm__ volatile("fxsave64 %0" : "=m"(*(char(*)[FXSAVE_SIZE])save));
		__asm__ volatile("fxrstor64 %0" ::"m"(*(const char(*)[FXSAVE_SIZE])load));
		return;
	}
	/* XCR0 holds the owner's value while it runs; save and load every component kan
	 * offers, whatever the guests enabled. */
	xsetbv(0, xstate.mask);
	if (save && xstate.xsaveopt)
		__asm__ volatile("xsaveopt64 (%0)" ::"r"(save), "a"(lo), "d"(hi) : "memory");
	else if (save)
		__asm__ volatile("xsave64 (%0)" ::"r"(save), "a"(lo), "d"(hi) : "memory");
	__asm__ volatile("xrstor64 (%0)" ::"r"(load), "a"(lo), "d"(hi) : "memory");
	if (xcr0 != xstate.mask)
		xsetbv(0, xcr0);
}

void xstate_save(void *area)
{
	uint32_t lo = (uint32_t)xstate.mask, hi = (uint32_t)(xstate.mask >> 32);
	if (!xstate.xsave) {
		__asm__ volatile("fxsave64 %0" : "=m"(*(char(*)[FXSAVE_SIZE])area));
		return;
	}
	/* Plain XSAVE: XSAVEOPT's tracking is the next owner's business, not this one's. */
	xsetbv(0, xstate.mask);
	__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
}
