/*
 * The isolation guest: every piece of state a core holds for a VM, written with a marker that
 * names its owner and the round, then read back after a yield to another VM on the same CPU.
 * One image plays both parts: a holder (id=N) and a spy (spy=1 id=N) run the same rounds;
 * each counts, per row, the rounds its own values did not survive (changed) and the rounds
 * it found another VM's marker (leaks).
 */
#ifndef KAN_ISOLATION_H
#define KAN_ISOLATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An owner is one byte: 0xa0 | id for a holder, 0x50 | id for a spy (id 1-15). A value that
 * only says which part wrote it (too narrow for the id) belongs to the bare role byte. */
#define ISO_HOLDER	0xa0u
#define ISO_SPY		0x50u
#define ISO_ROLE(owner) ((owner)&0xf0u)
#define ISO_ID(owner)	((owner)&0x0fu)

/* What the CPU offers and the guest turned on; bits of the features argument of iso_switch. */
#define ISO_FEAT_OSXSAVE  (1u << 0)
#define ISO_FEAT_AVX	  (1u << 1)
#define ISO_FEAT_AVX512	  (1u << 2)
#define ISO_FEAT_AVX512BW (1u << 3)
#define ISO_FEAT_RDTSCP	  (1u << 4)

/* iso_vector_state.usable: which parts iso_switch loaded or saved (XCR0 allowed them). */
#define ISO_USE_AVX    (1u << 0)
#define ISO_USE_AVX512 (1u << 1)

/* What switch.asm loads before the yield and saves after it; the offsets are spelt out there. */
struct iso_vector_state {
	uint8_t fx[512];     /*    0: FXSAVE64 image: x87, MXCSR, XMM0-15 */
	uint8_t ymm[16][32]; /*  512: YMM0-15 whole (the low halves are XMM0-15) */
	uint8_t zmm[32][64]; /* 1024: ZMM0-31 whole */
	uint64_t k[8];	     /* 3072: k0-k7 (16 bits each without AVX512BW) */
	uint64_t rflags;     /* 3136 */
	uint64_t cr2;	     /* 3144 */
	uint64_t xcr0;	     /* 3152: 0 without CR4.OSXSAVE */
	uint64_t usable;     /* 3160: ISO_USE_* */
} __attribute__((aligned(64)));

/* Loads `in` (what `features` and the current XCR0 allow), saves it to `ref`, yields with
 * KAN_HC_YIELD, and saves what the registers hold afterwards to `out`. Nothing but VMCALL
 * runs between the load and the last save. Then loads `in` again, so that the registers
 * hold this round's values wherever a preemption falls, and returns with the default MXCSR
 * and the caller's RFLAGS. */
void iso_switch(const struct iso_vector_state *in, struct iso_vector_state *ref,
		struct iso_vector_state *out, unsigned features);

/* Saves what the registers iso_switch handles hold now, without loading or yielding. */
void iso_save(struct iso_vector_state *out, unsigned features);

/* The MSRs a guest may write, in the order of iso_msrs[] and iso_snapshot.msr. */
enum {
	ISO_MSR_STAR,
	ISO_MSR_LSTAR,
	ISO_MSR_CSTAR,
	ISO_MSR_FMASK,
	ISO_MSR_KERNEL_GS_BASE,
	ISO_MSR_TSC_AUX,
	ISO_MSR_FS_BASE,
	ISO_MSR_GS_BASE,
	ISO_MSR_SYSENTER_CS,
	ISO_MSR_SYSENTER_ESP,
	ISO_MSR_SYSENTER_EIP,
	ISO_MSR_PAT,
	ISO_MSR_EFER,
	ISO_MSRS
};

/* Everything compared, as 64-bit words; rows (rows.c) name ranges of it. */
struct iso_snapshot {
	uint64_t x87[19]; /* FCW | FSW << 16 | FTW << 32 | FOP << 48, FIP, FDP, ST0-7 as
			   * (significand, sign and exponent) */
	uint64_t mxcsr;
	uint64_t xmm[32];
	uint64_t ymm[32];  /* bits 255:128 of YMM0-15 */
	uint64_t zmm[192]; /* bits 511:256 of ZMM0-15, then ZMM16-31 whole */
	uint64_t opmask[8];
	uint64_t xcr0;
	uint64_t cr2;
	uint64_t cr8;
	uint64_t dr[4];
	uint64_t dr6;
	uint64_t dr7;
	uint64_t msr[ISO_MSRS]; /* in the order of iso_msrs[] */
	uint64_t tsc_aux_rdtscp;
	uint64_t gdtr[2]; /* base, limit */
	uint64_t idtr[2];
	uint64_t ldtr;
	uint64_t tr;
	uint64_t selectors[4]; /* DS, ES, FS, GS */
	uint64_t rflags;       /* the bits a guest controls: ISO_RFLAGS_MASK */
	uint64_t usable;       /* ISO_USE_*: which vector parts the words above hold */
};

#define ISO_RFLAGS_AC	(1ull << 18)
#define ISO_RFLAGS_DF	(1ull << 10)
#define ISO_RFLAGS_IOPL (3ull << 12)
#define ISO_RFLAGS_ID	(1ull << 21)
#define ISO_RFLAGS_MASK (ISO_RFLAGS_AC | ISO_RFLAGS_DF | ISO_RFLAGS_IOPL | ISO_RFLAGS_ID)

struct iso_msr {
	const char *name;
	uint32_t number;
};
extern const struct iso_msr iso_msrs[ISO_MSRS];

/* values.c: the freestanding copies gcc may call, then what owner writes in a round, and whose a
 * value is. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
uint64_t iso_marker(unsigned owner, unsigned round, unsigned item);
void iso_plan(unsigned owner, unsigned round, uint64_t xcr0_full, bool opmask_wide,
	      struct iso_snapshot *want);
unsigned iso_owner_of_marker(uint64_t value);	/* a 64-bit marker's owner, or 0 */
unsigned iso_owner_of_marker32(uint64_t value); /* the same for 32-bit registers */
unsigned iso_owner_of_region(uint64_t address); /* whose descriptor-table region, or 0 */
uint64_t iso_region(unsigned owner);
extern const uint16_t iso_tss_selectors[2][2], iso_ldt_selectors[2][2], iso_data_selectors[2][2];
unsigned iso_role_index(unsigned owner); /* 0 holder, 1 spy */

/* vector.c: struct iso_snapshot <-> what iso_switch loads and saves. */
void iso_vector_pack(const struct iso_snapshot *want, unsigned features,
		     struct iso_vector_state *in);
void iso_vector_unpack(const struct iso_vector_state *vs, bool opmask_wide, struct iso_snapshot *s);

/* cpu_state.c: the pieces a guest reaches with ordinary instructions (most of them exit). */
struct iso_caps {
	unsigned features;    /* ISO_FEAT_* */
	uint64_t xcr0_full;   /* what the start-up put in XCR0 */
	bool msr[ISO_MSRS];   /* each may be read and written */
	bool cr8, dr, rdtscp; /* MOV CR8, MOV DRn, RDTSCP work */
};
void iso_probe(struct iso_caps *caps);
/* Writes want's pieces that iso_switch does not (XCR0 first, FS/GS bases after the
 * selectors); returns how many of the writes faulted. */
unsigned iso_write_cpu_state(const struct iso_caps *caps, unsigned owner,
			     const struct iso_snapshot *want);
void iso_read_cpu_state(const struct iso_caps *caps, struct iso_snapshot *s);

/* rows.c: the table. */
void iso_rows_start(const struct iso_caps *caps);
/* Before the first round: true if no row holds another VM's value (a fresh VM must find
 * only reset values); prints the rows that do. */
bool iso_rows_check_fresh(unsigned self, const struct iso_snapshot *s, bool opmask_wide);
void iso_rows_compare(unsigned self, const struct iso_snapshot *ref, const struct iso_snapshot *out,
		      bool opmask_wide);
void iso_rows_note_sse_loop(uint64_t expected, uint64_t got); /* the sums' bits */
int64_t iso_rows_report(unsigned rounds, unsigned writes_refused, bool fresh);

#endif
