/*
 * What each owner writes in each round, and how a value read back tells whose it is. Wide
 * registers carry a marker (owner, round, item); narrow ones only carry which part wrote them,
 * from value sets that the holder, the spy and the CPU's reset state never share.
 */
#include "isolation.h"
#include "msr.h"

#define MSR_IA32_CSTAR 0xc0000083

/* gcc may call these for large copies even when freestanding; the guest library has none.
 * Word by word where everything is 8-byte aligned: the structures here are. */
void *memset(void *dst, int c, size_t n)
{
	if (!(((uintptr_t)dst | n) & 7)) {
		uint64_t *d = dst, v = 0x0101010101010101ull * (unsigned char)c;
		for (size_t i = 0; i < n / 8; i++)
			d[i] = v;
		return dst;
	}
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	if (!(((uintptr_t)dst | (uintptr_t)src | n) & 7)) {
		uint64_t *d = dst;
		const uint64_t *s = src;
		for (size_t i = 0; i < n / 8; i++)
			d[i] = s[i];
		return dst;
	}
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

const struct iso_msr iso_msrs[ISO_MSRS] = {
	[ISO_MSR_STAR] = { "star", MSR_IA32_STAR },
	[ISO_MSR_LSTAR] = { "lstar", MSR_IA32_LSTAR },
	[ISO_MSR_CSTAR] = { "cstar", MSR_IA32_CSTAR },
	[ISO_MSR_FMASK] = { "fmask", MSR_IA32_FMASK },
	[ISO_MSR_KERNEL_GS_BASE] = { "kernel-gs-base", MSR_IA32_KERNEL_GS },
	[ISO_MSR_TSC_AUX] = { "tsc-aux", MSR_IA32_TSC_AUX },
	[ISO_MSR_FS_BASE] = { "fs-base", MSR_IA32_FS_BASE },
	[ISO_MSR_GS_BASE] = { "gs-base", MSR_IA32_GS_BASE },
	[ISO_MSR_SYSENTER_CS] = { "sysenter-cs", MSR_IA32_SYSENTER_CS },
	[ISO_MSR_SYSENTER_ESP] = { "sysenter-esp", MSR_IA32_SYSENTER_ESP },
	[ISO_MSR_SYSENTER_EIP] = { "sysenter-eip", MSR_IA32_SYSENTER_EIP },
	[ISO_MSR_PAT] = { "pat", MSR_IA32_PAT },
	[ISO_MSR_EFER] = { "efer", MSR_IA32_EFER },
};

/* "KA" in bits 46:32: bit 47 stays clear, so every marker is a canonical address. */
#define MARKER_MAGIC 0x4b41ull

uint64_t iso_marker(unsigned owner, unsigned round, unsigned item)
{
	return MARKER_MAGIC << 32 | (uint64_t)(owner & 0xff) << 24 |
	       (uint64_t)(round & 0xffff) << 8 | (item & 0xff);
}

static uint64_t marker32(unsigned owner, unsigned round, unsigned item)
{
	return iso_marker(owner, round, item) & 0xffffffffu;
}

static unsigned valid_owner(unsigned owner)
{
	unsigned role = ISO_ROLE(owner), id = ISO_ID(owner);
	return (role == ISO_HOLDER || role == ISO_SPY) && id >= 1 && id <= 4 ? owner : 0;
}

/* Bit 63 is ignored: an x87 significand carries the marker with its integer bit set. */
unsigned iso_owner_of_marker(uint64_t value)
{
	if (((value & ~(1ull << 63)) >> 32) != MARKER_MAGIC)
		return 0;
	return valid_owner((unsigned)(value >> 24) & 0xff);
}

unsigned iso_owner_of_marker32(uint64_t value)
{
	return value >> 32 ? 0 : valid_owner((unsigned)(value >> 24) & 0xff);
}

unsigned iso_role_index(unsigned owner)
{
	return ISO_ROLE(owner) == ISO_SPY;
}

/* Each owner's descriptor tables live in its own 256 KiB of guest-physical memory, so the
 * base in GDTR or IDTR names the owner: holders from 4 MiB, spies from 6 MiB (ids 1-4). */
#define REGION_BASE    0x400000ull
#define REGION_SPY     0x200000ull
#define REGION_SIZE    0x40000ull
#define GDT_SLOT       0x100
#define IDT_FIRST_SLOT 0x8000
#define IDT_SLOT       0x240
#define SLOTS	       32

uint64_t iso_region(unsigned owner)
{
	return REGION_BASE + (iso_role_index(owner) ? REGION_SPY : 0) + ISO_ID(owner) * REGION_SIZE;
}

unsigned iso_owner_of_region(uint64_t address)
{
	for (unsigned role = 0; role < 2; role++)
		for (unsigned id = 1; id <= 4; id++) {
			unsigned owner = (role ? ISO_SPY : ISO_HOLDER) | id;
			uint64_t base = iso_region(owner);
			if (address >= base && address < base + REGION_SIZE)
				return owner;
		}
	return 0;
}

/* The GDT every owner builds (cpu_state.c): [role][which] selectors. */
const uint16_t iso_data_selectors[2][2] = { { 0x28, 0x30 }, { 0x38, 0x40 } };
const uint16_t iso_tss_selectors[2][2] = { { 0x48, 0x58 }, { 0x68, 0x78 } };
const uint16_t iso_ldt_selectors[2][2] = { { 0x88, 0x98 }, { 0xa8, 0xb8 } };

/* DR7's RW/LEN nibbles without RW = 10b (I/O breakpoints need CR4.DE). */
static const uint8_t dr7_nibbles[12] = { 0, 1, 3, 4, 5, 7, 8, 9, 0xb, 0xc, 0xd, 0xf };
/* The memory types PAT may hold (SDM 13.12.2). */
static const uint8_t pat_types[6] = { 0, 1, 4, 5, 6, 7 };

#define EFER_SCE 0x001ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define EFER_NXE 0x800ull

static void plan_x87(unsigned owner, unsigned round, bool spy, struct iso_snapshot *w)
{
	/* The control word tells the parts apart: all exceptions masked and precision single
	 * for holders, double for spies, unlike both the reset value 0x0040 and FNINIT's
	 * 0x037f; rounding by round. The condition codes differ too. */
	uint64_t fcw = (spy ? 0x027f : 0x007f) | (uint64_t)(round & 3) << 10;
	uint64_t fsw = (spy ? 0x4200 : 0x0500) | (uint64_t)(round & 7) << 11;
	uint64_t ftw = 0xff, fop = (owner * 8 + round) & 0x7ff;
	w->x87[0] = fcw | fsw << 16 | ftw << 32 | fop << 48;
	w->x87[1] = iso_marker(owner, round, 0x01); /* FIP */
	w->x87[2] = iso_marker(owner, round, 0x02); /* FDP */
	for (unsigned i = 0; i < 8; i++) {
		w->x87[3 + 2 * i] = iso_marker(owner, round, 0x10 + i) | 1ull << 63;
		w->x87[4 + 2 * i] = 0x3fff + i;
	}
}

static void plan_vectors(unsigned owner, unsigned round, bool spy, bool opmask_wide,
			 struct iso_snapshot *w)
{
	/* Exception flags vary by round; the rounding control and flush-to-zero tell the parts
	 * apart (holder: down and FZ, spy: up). Every exception stays masked. */
	w->mxcsr = (spy ? 0x5f80u : 0xbf80u) | (round % 63 + 1);
	for (unsigned i = 0; i < 32; i++) {
		w->xmm[i] = iso_marker(owner, round, 0x20 + i);
		w->ymm[i] = iso_marker(owner, round, 0x40 + i);
	}
	for (unsigned i = 0; i < 192; i++)
		w->zmm[i] = iso_marker(owner, round, 0x60 + i);
	for (unsigned i = 0; i < 8; i++)
		w->opmask[i] = opmask_wide ? iso_marker(owner, round, 0xe0 + i)
					   : (owner << 8 | ((round * 8 + i) & 0xff));
	/* Some rounds leave one component in its initial state (all zero), as real guests do:
	 * XSAVE then clears its XSTATE_BV bit and XRSTOR initialises it instead of loading it.
	 * Holders and spies blank different components in the same round. */
	switch ((round + (spy ? 3 : 0)) % 6) {
	case 1: /* SSE: XMM0-15 zero and MXCSR at its reset value */
		w->mxcsr = 0x1f80;
		memset(w->xmm, 0, sizeof(w->xmm));
		break;
	case 2: /* AVX: the upper halves of YMM0-15 */
		memset(w->ymm, 0, sizeof(w->ymm));
		break;
	case 3: /* ZMM_Hi256: the upper halves of ZMM0-15 */
		memset(w->zmm, 0, 64 * sizeof(w->zmm[0]));
		break;
	case 4: /* Hi16_ZMM: ZMM16-31 whole */
		memset(w->zmm + 64, 0, 128 * sizeof(w->zmm[0]));
		break;
	case 5: /* opmask: k0-k7 */
		memset(w->opmask, 0, sizeof(w->opmask));
		break;
	}
}

static void plan_descriptors(unsigned owner, unsigned round, unsigned role, struct iso_snapshot *w)
{
	uint64_t region = iso_region(owner);
	w->gdtr[0] = region + (round % SLOTS) * GDT_SLOT;
	w->gdtr[1] = 0xc7 + 8 * (round % 8);
	w->idtr[0] = region + IDT_FIRST_SLOT + (round % SLOTS) * IDT_SLOT;
	w->idtr[1] = 0x1ff + 16 * (round % 4);
	w->tr = iso_tss_selectors[role][round & 1];
	w->ldtr = iso_ldt_selectors[role][(round >> 1) & 1];
	for (unsigned s = 0; s < 4; s++) /* DS, ES, FS, GS: which descriptor, and RPL */
		w->selectors[s] =
			iso_data_selectors[role][(round + s) & 1] | ((round + s) >> 1 & 3);
}

void iso_plan(unsigned owner, unsigned round, uint64_t xcr0_full, bool opmask_wide,
	      struct iso_snapshot *w)
{
	memset(w, 0, sizeof(*w));
	bool spy = iso_role_index(owner);
	plan_x87(owner, round, spy, w);
	plan_vectors(owner, round, spy, opmask_wide, w);
	/* A holder drops AVX from XCR0 every fourth round; a spy always has all of it. */
	w->xcr0 = !spy && round % 4 == 3 ? 0x3 : xcr0_full;
	w->cr2 = iso_marker(owner, round, 0xf0);
	w->cr8 = spy ? 8 + round % 7 : 1 + round % 7;
	for (unsigned i = 0; i < 4; i++)
		w->dr[i] = iso_marker(owner, round, 0xf1 + i);
	/* DR6: B0 and B2 for holders, B1 and B3 for spies; BD/BS/BT by round. DR7: LE for
	 * holders, GE for spies, no breakpoint enabled, RW/LEN by round. */
	w->dr6 = 0xffff0ff0u | (spy ? 0xau : 0x5u) | (round & 7) << 13;
	uint64_t lens = 0;
	for (unsigned j = 0; j < 4; j++)
		lens |= (uint64_t)dr7_nibbles[(round + 5 * j + owner) % 12] << (4 * j);
	w->dr7 = 0x400 | (spy ? 0x200 : 0x100) | lens << 16;
	for (unsigned i = 0; i < ISO_MSRS; i++)
		w->msr[i] = iso_marker(owner, round, 0xf5 + i);
	/* FMASK and TSC_AUX: bits 63:32 reserved; SYSENTER_CS: 32 bits in the VMCS. */
	w->msr[ISO_MSR_FMASK] = marker32(owner, round, 0xf5 + ISO_MSR_FMASK);
	w->msr[ISO_MSR_TSC_AUX] = marker32(owner, round, 0xf5 + ISO_MSR_TSC_AUX);
	w->msr[ISO_MSR_SYSENTER_CS] = marker32(owner, round, 0xf5 + ISO_MSR_SYSENTER_CS);
	/* PAT: entry 0 stays write-back (the guest's page tables use only it); entry 7 says
	 * who wrote it (holder: WP, spy: WC, reset: UC). */
	uint64_t pat = 0x06;
	for (unsigned i = 1; i < 7; i++)
		pat |= (uint64_t)pat_types[(round + i) % 6] << (8 * i);
	w->msr[ISO_MSR_PAT] = pat | (uint64_t)(spy ? 0x01 : 0x05) << 56;
	/* EFER: SCE on for both, NXE kept by holders and cleared by spies (the guest's page
	 * tables set no XD bit); the reset value has SCE off. */
	w->msr[ISO_MSR_EFER] = EFER_LME | EFER_LMA | EFER_SCE | (spy ? 0 : EFER_NXE);
	w->tsc_aux_rdtscp = w->msr[ISO_MSR_TSC_AUX];
	plan_descriptors(owner, round, spy, w);
	/* IOPL tells the parts apart; DF for holders only; AC and ID by round. */
	w->rflags = (spy ? 2ull << 12 : 1ull << 12 | ISO_RFLAGS_DF) |
		    (round & 1 ? ISO_RFLAGS_AC : 0) | (round & 2 ? ISO_RFLAGS_ID : 0);
}
