/* The prefixes, then one of eight two-byte opcodes (SDM Vol. 2, chapter 2 and MOV CR/DR). */
#include "kernel/insn_decode.h"

#define PREFIX_LOCK 0xf0
#define REX_R	    0x4 /* extends ModRM.reg */
#define REX_B	    0x1 /* extends ModRM.rm */

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: /* operand size: MOV CR/DR ignore it */
	case 0x67: /* address size: no memory operand here */
	case 0xf2:
	case 0xf3:
	case 0x26: /* segment overrides: ES, CS, SS, DS, FS, GS */
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65:
		return true;
	default:
		return false;
	}
}

enum insn_kind insn_decode(const uint8_t *bytes, unsigned count, bool code64, struct insn *out)
{
	*out = (struct insn){ .kind = INSN_UNKNOWN };
	if (count > INSN_MAX_LENGTH)
		count = INSN_MAX_LENGTH;
	unsigned i = 0;
	uint8_t rex = 0;
	bool lock = false;
	for (; i < count; i++) {
		uint8_t b = bytes[i];
		if (code64 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		if (b == PREFIX_LOCK)
			lock = true;
		else if (!legacy_prefix(b))
			break;
		rex = 0; /* a REX prefix counts only right before the opcode */
	}
	if (count - i >= 2 && bytes[i] == 0x0f && bytes[i + 1] == 0x06 && !lock) {
		*out = (struct insn){ .kind = INSN_CLTS, .length = (uint8_t)(i + 2) };
		return INSN_CLTS;
	}
	/* The opcode (0f xx) and one more byte: ModRM, or the third byte of 0f 01 c1/d9. */
	if (count - i < 3 || bytes[i] != 0x0f)
		return INSN_UNKNOWN;
	uint8_t op = bytes[i + 1], modrm = bytes[i + 2];
	enum insn_kind kind = INSN_UNKNOWN;
	if (op == 0x01 && modrm == 0xc1)
		kind = INSN_VMCALL;
	else if (op == 0x01 && modrm == 0xd9)
		kind = INSN_VMMCALL;
	else if (op == 0x01 && (modrm & 0xf8) == 0xf0)
		kind = INSN_LMSW; /* 0f 01 /6 with a register operand */
	else if (op == 0x22)
		kind = INSN_MOV_TO_CR;
	else if (op == 0x20)
		kind = INSN_MOV_FROM_CR;
	else if (op == 0x23)
		kind = INSN_MOV_TO_DR;
	else if (op == 0x21)
		kind = INSN_MOV_FROM_DR;
	bool is_cr = kind == INSN_MOV_TO_CR || kind == INSN_MOV_FROM_CR;
	if (kind == INSN_UNKNOWN || (lock && !is_cr))
		return INSN_UNKNOWN; /* LOCK on anything else raises #UD */
	out->kind = kind;
	out->length = (uint8_t)(i + 3);
	if (kind == INSN_VMCALL || kind == INSN_VMMCALL)
		return kind;
	if (kind == INSN_LMSW) {
		out->gpr = (uint8_t)((modrm & 7) | (rex & REX_B ? 8 : 0));
		return kind;
	}
	/* MOV CR/DR always name a register: the CPU treats the mod field as 11b whatever it
	 * holds (SDM Vol. 2, MOV CR and MOV DR), so there is never a displacement. */
	out->reg = (uint8_t)(((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0) | (lock ? 8 : 0));
	out->gpr = (uint8_t)((modrm & 7) | (rex & REX_B ? 8 : 0));
	return kind;
}
