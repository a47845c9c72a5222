/* Memory type lookup over the MTRRs (SDM Vol. 3A, 12.11.4): pure, unit-tested on the host. */
#include "arch/x86_64/mtrr.h"

#define NO_MATCH 0xfe

/* Fixed-range index of `addr` below 1 MiB (SDM 12.11.2.2). */
static unsigned fixed_index(uint64_t addr)
{
	if (addr < 0x80000)
		return (unsigned)(addr >> 16);
	if (addr < 0xc0000)
		return 8 + (unsigned)((addr - 0x80000) >> 14);
	return 24 + (unsigned)((addr - 0xc0000) >> 12);
}

/* The fixed ranges are in address order, so a block covers a run of them. */
static uint8_t fixed_type(const struct mtrr_state *m, uint64_t start, uint64_t size)
{
	unsigned first = fixed_index(start), last = fixed_index(start + size - 1);
	for (unsigned i = first + 1; i <= last; i++)
		if (m->fixed[i] != m->fixed[first])
			return MTRR_TYPE_MIXED;
	return m->fixed[first];
}

/* Two types that apply to the same address (SDM 12.11.4.1): UC wins, WT beats WB; other
 * pairs are undefined there, and kan treats them as UC. */
static uint8_t overlap(uint8_t a, uint8_t b)
{
	if (a == NO_MATCH || a == b)
		return b;
	if ((a == MTRR_TYPE_WT && b == MTRR_TYPE_WB) || (a == MTRR_TYPE_WB && b == MTRR_TYPE_WT))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC;
}

static uint8_t variable_type(const struct mtrr_state *m, uint64_t start, uint64_t size)
{
	uint8_t type = NO_MATCH;
	for (unsigned i = 0; i < m->variable_count; i++) {
		if (!(m->variable[i].mask & MTRR_VARIABLE_VALID))
			continue;
		uint64_t mask = m->variable[i].mask & m->address_mask,
			 base = m->variable[i].base & m->address_mask;
		/* Mask bits above the block's size decide for the whole block at once; a mask
		 * bit inside it means some of its addresses match and some do not. */
		if ((start & mask & ~(size - 1)) != (base & mask & ~(size - 1)))
			continue;
		if (mask & (size - 1))
			return MTRR_TYPE_MIXED;
		type = overlap(type, (uint8_t)m->variable[i].base);
	}
	return type == NO_MATCH ? m->default_type : type;
}

uint8_t mtrr_type(const struct mtrr_state *m, uint64_t start, uint64_t size)
{
	if (!m->enabled)
		return MTRR_TYPE_UC;
	if (!m->fixed_enabled || start >= MTRR_FIXED_LIMIT)
		return variable_type(m, start, size);
	if (start + size <= MTRR_FIXED_LIMIT)
		return fixed_type(m, start, size);
	uint8_t low = mtrr_type(m, start, size / 2),
		high = mtrr_type(m, start + size / 2, size / 2);
	return low == high ? low : MTRR_TYPE_MIXED;
}
