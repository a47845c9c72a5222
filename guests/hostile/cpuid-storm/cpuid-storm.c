/*
 * Hostile: a CPUID exit storm. Runs count= CPUIDs (default 200000) over a spread of leaves,
 * and keeps going until ms= milliseconds have passed, checking on every call that kan still
 * hides VMX and shows its signature. Ends with status 0 if every answer held.
 */
#include "guest.h"

#define KAN_SIGNATURE_LEAF 0x40000000u
#define CPUID1_ECX_VMX	   (1u << 5)
#define CPUID1_ECX_HV	   (1u << 31)
/* "KanKanKanKan" in EBX, ECX, EDX, little-endian. */
#define KAN_SIG_EBX 0x4b6e614bu /* "KanK" */
#define KAN_SIG_ECX 0x614b6e61u /* "anKa" */
#define KAN_SIG_EDX 0x6e614b6eu /* "nKan" */

static const uint32_t leaves[] = {
	0x0,	    0x1,	0x2,	    0x4,	0x6,	    0x7,
	0xb,	    0xd,	0x14,	    0x1f,	0x20,	    0xffff,
	0x40000000, 0x40000001, 0x40000010, 0x4fffffff, 0x80000000, 0x80000001,
	0x80000008, 0x8000001f, 0x80001234, 0xc0000000, 0xffffffff,
};
#define LEAF_COUNT (sizeof(leaves) / sizeof(leaves[0]))

static uint64_t cpuid_subleaf(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
	return out[0];
}

static int answer_holds(uint32_t leaf, const uint32_t r[4])
{
	if (leaf == 1)
		return !(r[2] & CPUID1_ECX_VMX) && (r[2] & CPUID1_ECX_HV);
	if (leaf == KAN_SIGNATURE_LEAF)
		return r[0] == KAN_SIGNATURE_LEAF && r[1] == KAN_SIG_EBX && r[2] == KAN_SIG_ECX &&
		       r[3] == KAN_SIG_EDX;
	return 1;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t count = guest_arg(info, "count", 200000), ms = guest_arg(info, "ms", 0);
	guest_printf("cpuid-storm: trying %lu CPUIDs over %lu leaves (and at least %lu ms); "
		     "each answer must hide VMX and show kan\n",
		     count, (uint64_t)LEAF_COUNT, ms);
	uint32_t r[4];
	cpuid_subleaf(KAN_SIGNATURE_LEAF, 0, r);
	char sig[13];
	__builtin_memcpy(sig, &r[1], 12);
	sig[12] = 0;
	guest_printf("cpuid-storm: leaf 0x40000000 says max leaf 0x%x, signature '%s'\n", r[0],
		     sig);
	uint64_t start = kan_time_ns(), end = start + ms * 1000000, done = 0, wrong = 0;
	while (done < count || kan_time_ns() < end) {
		for (unsigned i = 0; i < 1000; i++, done++) {
			uint32_t leaf = leaves[done % LEAF_COUNT];
			cpuid_subleaf(leaf, (uint32_t)(done >> 5), r);
			if (!answer_holds(leaf, r) && wrong++ < 5)
				guest_printf(
					"cpuid-storm: WRONG answer to leaf 0x%x: %x %x %x %x\n",
					leaf, r[0], r[1], r[2], r[3]);
		}
	}
	uint64_t us = (kan_time_ns() - start) / 1000;
	guest_printf("cpuid-storm done: %lu CPUIDs in %lu us (%lu per second), %lu wrong answers\n",
		     done, us, us ? done * 1000000 / us : 0, wrong);
	return wrong ? 1 : 0;
}
