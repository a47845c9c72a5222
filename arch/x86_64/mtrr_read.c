/* Reading the MTRRs (SDM Vol. 3A, 12.11.1-3) into the state mtrr_type looks types up in. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/mtrr.h"
#include "kernel/string.h"

#define CPUID_1_EDX_MTRR	(1u << 12)
#define MSR_IA32_MTRRCAP	0xfe
#define MSR_IA32_MTRR_DEF_TYPE	0x2ff
#define MSR_IA32_MTRR_PHYSBASE0 0x200
#define MTRRCAP_FIX		(1u << 8)
#define DEF_TYPE_FE		(1u << 10)
#define DEF_TYPE_E		(1u << 11)

/* The eleven fixed-range MSRs, eight ranges each, in address order. */
static const uint32_t fixed_msrs[MTRR_FIXED_RANGES / 8] = { 0x250, 0x258, 0x259, 0x268,
							    0x269, 0x26a, 0x26b, 0x26c,
							    0x26d, 0x26e, 0x26f };

void mtrr_read(struct mtrr_state *m)
{
	memset(m, 0, sizeof(*m));
	m->default_type = MTRR_TYPE_UC;
	if (!(cpuid(1, 0).edx & CPUID_1_EDX_MTRR))
		return;
	unsigned width =
		cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xff : 36;
	m->address_mask = ((1ull << width) - 1) & ~0xfffull;
	uint64_t cap = rdmsr(MSR_IA32_MTRRCAP), def = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	m->enabled = def & DEF_TYPE_E;
	m->fixed_enabled = (def & DEF_TYPE_FE) && (cap & MTRRCAP_FIX);
	m->default_type = (uint8_t)def;
	if (m->fixed_enabled)
		for (unsigned i = 0; i < MTRR_FIXED_RANGES / 8; i++) {
			uint64_t types = rdmsr(fixed_msrs[i]);
			memcpy(&m->fixed[i * 8], &types, 8);
		}
	m->variable_count = (unsigned)(cap & 0xff);
	if (m->variable_count > MTRR_MAX_VARIABLE)
		m->variable_count = MTRR_MAX_VARIABLE;
	for (unsigned i = 0; i < m->variable_count; i++) {
		m->variable[i].base = rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * i);
		m->variable[i].mask = rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * i + 1);
	}
}
