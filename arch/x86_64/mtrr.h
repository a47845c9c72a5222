/* Memory type range registers (SDM Vol. 3A, 12.11): which memory type the firmware gave an
 * address range, so that no large page of kan's covers two types. */
#ifndef KAN_ARCH_MTRR_H
#define KAN_ARCH_MTRR_H

#include <stdbool.h>
#include <stdint.h>

#define MTRR_TYPE_UC	0
#define MTRR_TYPE_WC	1
#define MTRR_TYPE_WT	4
#define MTRR_TYPE_WP	5
#define MTRR_TYPE_WB	6
#define MTRR_TYPE_MIXED 0xff /* not one type: the range needs smaller pages */

#define MTRR_FIXED_RANGES   88 /* 0-1 MiB: 8 of 64 KiB, 16 of 16 KiB, 64 of 4 KiB */
#define MTRR_MAX_VARIABLE   32
#define MTRR_FIXED_LIMIT    (1ull << 20)
#define MTRR_VARIABLE_VALID (1ull << 11) /* in IA32_MTRR_PHYSMASKn */

struct mtrr_state {
	bool enabled;	    /* IA32_MTRR_DEF_TYPE.E; off means everything is UC */
	bool fixed_enabled; /* .FE, and IA32_MTRRCAP.FIX */
	uint8_t default_type;
	uint8_t fixed[MTRR_FIXED_RANGES];
	unsigned variable_count;
	struct {
		uint64_t base; /* IA32_MTRR_PHYSBASEn: address and type (bits 7:0) */
		uint64_t mask; /* IA32_MTRR_PHYSMASKn: address mask and the valid bit */
	} variable[MTRR_MAX_VARIABLE];
	uint64_t address_mask; /* the CPU's physical address bits, 4 KiB-aligned */
};

/* The type of [start, start + size), size a power of two and start aligned to it, or
 * MTRR_TYPE_MIXED if parts of it have different types. */
uint8_t mtrr_type(const struct mtrr_state *m, uint64_t start, uint64_t size);
/* Reads the MSRs of this CPU (kan's: not unit-tested); all UC if the CPU has no MTRRs. */
void mtrr_read(struct mtrr_state *m);

#endif
