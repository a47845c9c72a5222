/* The prefixes, then one of eight two-byte opcodes (SDM Vol. 2, chapter 2 and MOV CR/DR) or
 * a MOV with a memory operand (SDM Vol. 2, MOV and MOVZX; tables 2-1 to 2-3 for ModRM/SIB). */
#include "kernel/insn_decode.h"

#define PREFIX_LOCK	0xf0
#define PREFIX_OPERAND	0x66
#define PREFIX_ADDRESS	0x67
#define REX_W		0x8 /* 64-bit operand size */
#define REX_R		0x4 /* extends ModRM.reg */
#define REX_B		0x1 /* extends ModRM.rm */
#define MODRM_MOD(m)	((m) >> 6)
#define MODRM_REG(m)	(((m) >> 3) & 7)
#define MODRM_RM(m)	((m)&7)
#define MOD_REGISTER	3 /* ModRM.mod: the operand is a register, not memory */
#define RM_SIB		4 /* ModRM.rm in 32/64-bit addressing: a SIB byte follows */
#define RM_DISP32	5 /* ModRM.rm with mod 0: disp32 alone (RIP-relative in 64-bit code) */
#define RM_DISP16	6 /* ModRM.rm with mod 0 in 16-bit addressing: disp16 alone */
#define SIB_BASE_DISP32 5 /* SIB.base with mod 0: no base register, disp32 */
#define BYTE_REG_AH	4 /* without REX, byte registers 4-7 are AH, CH, DH, BH */

struct prefixes {
	unsigned count; /* bytes before the opcode */
	uint8_t rex;	/* 0 unless a REX prefix comes right before the opcode */
	bool lock, operand_size, address_size;
};

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case PREFIX_OPERAND:
	case PREFIX_ADDRESS:
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

static struct prefixes read_prefixes(const uint8_t *bytes, unsigned count, bool code64)
{
	struct prefixes p = { 0 };
	for (; p.count < count; p.count++) {
		uint8_t b = bytes[p.count];
		if (code64 && (b & 0xf0) == 0x40) {
			p.rex = b;
			continue;
		}
		if (b == PREFIX_LOCK)
			p.lock = true;
		else if (b == PREFIX_OPERAND)
			p.operand_size = true;
		else if (b == PREFIX_ADDRESS)
			p.address_size = true;
		else if (!legacy_prefix(b))
			break;
		p.rex = 0; /* a REX prefix counts only right before the opcode */
	}
	return p;
}

/* Bytes of ModRM, SIB and displacement starting at m; 0 if they run past avail. */
static unsigned modrm_length(const uint8_t *m, unsigned avail, bool address16)
{
	unsigned mod = MODRM_MOD(*m), rm = MODRM_RM(*m), length = 1;
	if (address16) { /* no SIB; disp16 where 32-bit addressing has disp32 */
		if (mod == 1)
			length += 1;
		else if (mod == 2 || (mod == 0 && rm == RM_DISP16))
			length += 2;
		return length <= avail ? length : 0;
	}
	if (rm == RM_SIB) {
		if (avail < 2)
			return 0;
		length += 1;
		if (mod == 0 && MODRM_RM(m[1]) == SIB_BASE_DISP32)
			length += 4;
	} else if (mod == 0 && rm == RM_DISP32) {
		length += 4;
	}
	if (mod == 1)
		length += 1;
	else if (mod == 2)
		length += 4;
	return length <= avail ? length : 0;
}

static uint64_t low_bytes(uint64_t value, unsigned size)
{
	return size >= 8 ? value : value & ((1ull << (size * 8)) - 1);
}

/* MOV between AL/rAX and an absolute address (a0-a3): no ModRM, the address follows the opcode
 * in the address size (8 bytes in 64-bit code, 4 with 67; 4 in 32-bit code, 2 with 67). */
static bool decode_moffs(unsigned opcode, unsigned avail, bool code64, const struct prefixes *p,
			 unsigned wide, struct insn *out)
{
	unsigned address = code64 ? (p->address_size ? 4 : 8) : (p->address_size ? 2 : 4);
	if (p->lock || avail < 1 + address)
		return false;
	unsigned size = opcode & 1 ? wide : 1;
	bool load = opcode < 0xa2;
	*out = (struct insn){ .kind = load ? INSN_MMIO_LOAD : INSN_MMIO_STORE,
			      .length = (uint8_t)(p->count + 1 + address),
			      .gpr = 0, /* RAX, as enum guest_gpr numbers it */
			      .size = (uint8_t)size,
			      .dest_size = load ? (uint8_t)size : 0 };
	return true;
}

/* A MOV or MOVZX with a memory operand at b (the opcode), avail bytes long, into out. */
static bool decode_mmio(const uint8_t *b, unsigned avail, bool code64, const struct prefixes *p,
			struct insn *out)
{
	unsigned opcode = b[0], n = 1; /* opcode bytes */
	if (opcode == 0x0f && avail >= 2) {
		opcode = 0x0f00 | b[1];
		n = 2;
	}
	/* Operand size of the 16/32/64-bit forms; REX.W wins over 66 (SDM Vol. 1, 3.6.1). */
	unsigned wide = p->rex & REX_W ? 8 : p->operand_size ? 2 : 4;
	struct insn x = { 0 };
	unsigned imm_size = 0;
	bool byte_reg = false;
	switch (opcode) {
	case 0x88: /* m8 <- r8 */
		x = (struct insn){ .kind = INSN_MMIO_STORE, .size = 1 };
		byte_reg = true;
		break;
	case 0x89: /* m <- r16/32/64 */
		x = (struct insn){ .kind = INSN_MMIO_STORE, .size = wide };
		break;
	case 0x8a: /* r8 <- m8 */
		x = (struct insn){ .kind = INSN_MMIO_LOAD, .size = 1, .dest_size = 1 };
		byte_reg = true;
		break;
	case 0x8b: /* r16/32/64 <- m */
		x = (struct insn){ .kind = INSN_MMIO_LOAD, .size = wide, .dest_size = wide };
		break;
	case 0xc6: /* m8 <- imm8 */
		x = (struct insn){ .kind = INSN_MMIO_STORE, .size = 1, .has_imm = true };
		imm_size = 1;
		break;
	case 0xc7: /* m <- imm16/imm32; imm32 sign-extended for a 64-bit store */
		x = (struct insn){ .kind = INSN_MMIO_STORE, .size = wide, .has_imm = true };
		imm_size = wide == 2 ? 2 : 4;
		break;
	case 0x0fb6: /* MOVZX r16/32/64 <- m8 */
		x = (struct insn){ .kind = INSN_MMIO_LOAD, .size = 1, .dest_size = wide };
		break;
	case 0x0fb7: /* MOVZX r16/32/64 <- m16 */
		x = (struct insn){ .kind = INSN_MMIO_LOAD, .size = 2, .dest_size = wide };
		break;
	case 0xa0: /* AL <- moffs8 */
	case 0xa1: /* rAX <- moffs */
	case 0xa2: /* moffs8 <- AL */
	case 0xa3: /* moffs <- rAX: what compilers emit for a constant address (the APIC's) */
		return decode_moffs(opcode, avail, code64, p, wide, out);
	default:
		return false;
	}
	if (p->lock || avail <= n) /* LOCK MOV raises #UD */
		return false;
	uint8_t modrm = b[n];
	if (MODRM_MOD(modrm) == MOD_REGISTER)
		return false; /* register to register: never an MMIO exit */
	if (x.has_imm && MODRM_REG(modrm) != 0)
		return false; /* c6/c7 with reg != 0 are not MOV */
	/* 67 selects 32-bit addressing in 64-bit code, 16-bit in 32-bit code (see the header). */
	unsigned mem = modrm_length(b + n, avail - n, !code64 && p->address_size);
	if (mem == 0 || n + mem + imm_size > avail)
		return false;
	if (x.has_imm) {
		const uint8_t *imm = b + n + mem;
		uint64_t value = 0;
		for (unsigned k = imm_size; k-- > 0;)
			value = value << 8 | imm[k];
		if (imm_size == 4 && (value & 0x80000000u))
			value |= 0xffffffff00000000ull;
		x.imm = low_bytes(value, x.size);
	} else {
		x.gpr = (uint8_t)(MODRM_REG(modrm) | (p->rex & REX_R ? 8 : 0));
		if (byte_reg && !p->rex && x.gpr >= BYTE_REG_AH) {
			x.high_byte = true;
			x.gpr -= BYTE_REG_AH; /* AH is bits 8-15 of RAX, CH of RCX, ... */
		}
	}
	x.length = (uint8_t)(p->count + n + mem + imm_size);
	*out = x;
	return true;
}

enum insn_kind insn_decode(const uint8_t *bytes, unsigned count, bool code64, struct insn *out)
{
	*out = (struct insn){ .kind = INSN_UNKNOWN };
	if (count > INSN_MAX_LENGTH)
		count = INSN_MAX_LENGTH;
	const struct prefixes p = read_prefixes(bytes, count, code64);
	unsigned i = p.count;
	uint8_t rex = p.rex;
	bool lock = p.lock;
	if (i < count && decode_mmio(bytes + i, count - i, code64, &p, out))
		return out->kind;
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

uint64_t insn_mmio_load_result(const struct insn *insn, uint64_t old_gpr, uint64_t data)
{
	uint64_t value = low_bytes(data, insn->size);
	/* Writing a 32-bit register clears bits 32-63 (SDM Vol. 1, 3.4.1.1). */
	if (insn->dest_size >= 4)
		return value;
	if (insn->high_byte)
		return (old_gpr & ~0xff00ull) | value << 8;
	return (old_gpr & ~low_bytes(~0ull, insn->dest_size)) | value;
}

uint64_t insn_mmio_store_value(const struct insn *insn, uint64_t gpr)
{
	if (insn->has_imm)
		return low_bytes(insn->imm, insn->size);
	if (insn->high_byte)
		return (gpr >> 8) & 0xff;
	return low_bytes(gpr, insn->size);
}
