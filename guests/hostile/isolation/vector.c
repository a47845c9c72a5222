/* struct iso_snapshot to and from what switch.asm loads and saves (the FXSAVE64 layout for
 * x87, MXCSR and XMM0-15, SDM Vol. 1, Table 10-2; whole YMM and ZMM registers after it). */
#include "isolation.h"

#define FX_FIP		   8
#define FX_FDP		   16
#define FX_MXCSR	   24
#define FX_ST		   32
#define FX_XMM		   160
#define FX_RESERVED_BYTE_5 (0xffull << 40)

/* Little-endian stores and loads of 2, 4 or 8 bytes; gcc makes each one move. */
static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	if (bytes == 8)
		__builtin_memcpy(p, &v, 8);
	else if (bytes == 4)
		__builtin_memcpy(p, &v, 4);
	else
		__builtin_memcpy(p, &v, 2);
}

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	if (bytes == 8)
		__builtin_memcpy(&v, p, 8);
	else if (bytes == 4)
		__builtin_memcpy(&v, p, 4);
	else
		__builtin_memcpy(&v, p, 2);
	return v;
}

/* Where word w (0-7) of ZMM register r sits in a snapshot seen as an array of words: the
 * snapshot spreads the registers over xmm, ymm and zmm. */
#define WORD_OF(field) (offsetof(struct iso_snapshot, field) / 8)

static size_t zmm_word(unsigned r, unsigned w)
{
	if (r >= 16)
		return WORD_OF(zmm) + 64 + 8 * (r - 16) + w;
	if (w < 2)
		return WORD_OF(xmm) + 2 * r + w;
	if (w < 4)
		return WORD_OF(ymm) + 2 * r + w - 2;
	return WORD_OF(zmm) + 4 * r + w - 4;
}

void iso_vector_pack(const struct iso_snapshot *want, unsigned features,
		     struct iso_vector_state *in)
{
	memset(in, 0, sizeof(*in));
	put(in->fx, want->x87[0], 8);
	put(in->fx + FX_FIP, want->x87[1], 8);
	put(in->fx + FX_FDP, want->x87[2], 8);
	put(in->fx + FX_MXCSR, want->mxcsr, 4);
	for (unsigned i = 0; i < 8; i++) {
		put(in->fx + FX_ST + 16 * i, want->x87[3 + 2 * i], 8);
		put(in->fx + FX_ST + 16 * i + 8, want->x87[4 + 2 * i], 2);
	}
	for (unsigned i = 0; i < 32; i++)
		put(in->fx + FX_XMM + 8 * i, want->xmm[i], 8);
	const uint64_t *words = (const uint64_t *)want;
	unsigned registers = features & ISO_FEAT_AVX512 ? 32 : features & ISO_FEAT_AVX ? 16 : 0;
	for (unsigned r = 0; r < registers; r++)
		for (unsigned i = 0; i < 8; i++) {
			if (r < 16 && i < 4)
				put(in->ymm[r] + 8 * i, words[zmm_word(r, i)], 8);
			put(in->zmm[r] + 8 * i, words[zmm_word(r, i)], 8);
		}
	for (unsigned i = 0; i < 8; i++)
		in->k[i] = want->opmask[i];
	in->rflags = 0x2 | want->rflags;
	in->cr2 = want->cr2;
}

void iso_vector_unpack(const struct iso_vector_state *vs, bool opmask_wide, struct iso_snapshot *s)
{
	uint64_t *words = (uint64_t *)s;
	s->x87[0] = get(vs->fx, 8) & ~FX_RESERVED_BYTE_5;
	s->x87[1] = get(vs->fx + FX_FIP, 8);
	s->x87[2] = get(vs->fx + FX_FDP, 8);
	for (unsigned i = 0; i < 8; i++) {
		s->x87[3 + 2 * i] = get(vs->fx + FX_ST + 16 * i, 8);
		s->x87[4 + 2 * i] = get(vs->fx + FX_ST + 16 * i + 8, 2);
	}
	s->mxcsr = get(vs->fx + FX_MXCSR, 4);
	for (unsigned i = 0; i < 32; i++)
		s->xmm[i] = get(vs->fx + FX_XMM + 8 * i, 8);
	if (vs->usable & ISO_USE_AVX)
		for (unsigned r = 0; r < 16; r++)
			for (unsigned i = 2; i < 4; i++)
				words[zmm_word(r, i)] = get(vs->ymm[r] + 8 * i, 8);
	if (vs->usable & ISO_USE_AVX512) {
		for (unsigned r = 0; r < 32; r++)
			for (unsigned i = r < 16 ? 4 : 0; i < 8; i++)
				words[zmm_word(r, i)] = get(vs->zmm[r] + 8 * i, 8);
		for (unsigned i = 0; i < 8; i++)
			s->opmask[i] = opmask_wide ? vs->k[i] : vs->k[i] & 0xffff;
	}
	s->xcr0 = vs->xcr0;
	s->cr2 = vs->cr2;
	s->rflags = vs->rflags & ISO_RFLAGS_MASK;
	s->usable = vs->usable;
}
