/* insn_decode (kernel/insn_decode.c): tables of encodings with their kind, register numbers
 * and length, and the ones that must stay unknown; then what an MMIO load or store does to
 * the register. Encodings from GNU as (objdump -d), most of them as Linux's readl/writel and
 * their callers compile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/insn_decode.h"

struct row {
	const char *bytes; /* the instruction, then whatever follows it */
	unsigned count;	   /* bytes given to the decoder */
	bool code64;
	enum insn_kind kind;
	unsigned length, reg, gpr;
};

#define ROW(b, c64, k, len, r, g)                                                                  \
	{                                                                                          \
		b, sizeof(b) - 1, c64, k, len, r, g                                                \
	}
#define UNKNOWN(b, c64)                                                                            \
	{                                                                                          \
		b, sizeof(b) - 1, c64, INSN_UNKNOWN, 0, 0, 0                                       \
	}

static const struct row rows[] = {
	ROW("\x0f\x01\xc1", true, INSN_VMCALL, 3, 0, 0),
	ROW("\x0f\x01\xd9", true, INSN_VMMCALL, 3, 0, 0),
	ROW("\x0f\x01\xd9\xc3\xcc", false, INSN_VMMCALL, 3, 0, 0), /* bytes after it ignored */
	ROW("\x66\x0f\x01\xd9", false, INSN_VMMCALL, 4, 0, 0),
	/* mov %rax,%cr4 ; mov %cr3,%rbx ; mov %r9,%cr0 (REX.B) ; mov %rdx,%cr8 (REX.R) */
	ROW("\x0f\x22\xe0", true, INSN_MOV_TO_CR, 3, 4, 0),
	ROW("\x0f\x20\xdb", true, INSN_MOV_FROM_CR, 3, 3, 3),
	ROW("\x41\x0f\x22\xc1", true, INSN_MOV_TO_CR, 4, 0, 9),
	ROW("\x44\x0f\x22\xc2", true, INSN_MOV_TO_CR, 4, 8, 2),
	ROW("\x4d\x0f\x20\xc7", true, INSN_MOV_FROM_CR, 4, 8, 15), /* mov %cr8,%r15 */
	ROW("\x49\x0f\x22\xe4", true, INSN_MOV_TO_CR, 4, 4, 12),   /* mov %r12,%cr4 */
	/* Legacy prefixes before REX; REX counts only right before the opcode. */
	ROW("\x66\x2e\xf3\x41\x0f\x22\xe5", true, INSN_MOV_TO_CR, 7, 4, 13),
	ROW("\x41\x66\x0f\x22\xe5", true, INSN_MOV_TO_CR, 5, 4, 5),
	ROW("\x40\x41\x0f\x22\xe5", true, INSN_MOV_TO_CR, 5, 4, 13), /* the last REX wins */
	/* Outside 64-bit code 41 is INC ECX, and REX does not exist. */
	UNKNOWN("\x41\x0f\x22\xc1", false),
	ROW("\x0f\x22\xe1", false, INSN_MOV_TO_CR, 3, 4, 1), /* mov %ecx,%cr4 */
	ROW("\x67\x64\x0f\x20\xc6", false, INSN_MOV_FROM_CR, 5, 0, 6),
	/* AMD's CR8 outside 64-bit code: lock mov %eax,%cr0 is mov %eax,%cr8. */
	ROW("\xf0\x0f\x22\xc0", false, INSN_MOV_TO_CR, 4, 8, 0),
	ROW("\xf0\x0f\x20\xc3", false, INSN_MOV_FROM_CR, 4, 8, 3),
	/* The mod field is ignored: always registers, never a displacement. */
	ROW("\x0f\x22\x20\x90", true, INSN_MOV_TO_CR, 3, 4, 0),
	ROW("\x0f\x22\x60\x90", true, INSN_MOV_TO_CR, 3, 4, 0),
	/* Debug registers: mov %rax,%dr7 ; mov %dr6,%rcx ; mov %r11,%dr0 */
	ROW("\x0f\x23\xf8", true, INSN_MOV_TO_DR, 3, 7, 0),
	ROW("\x0f\x21\xf1", true, INSN_MOV_FROM_DR, 3, 6, 1),
	ROW("\x41\x0f\x23\xc3", true, INSN_MOV_TO_DR, 4, 0, 11),
	ROW("\x3e\x0f\x21\xc7", false, INSN_MOV_FROM_DR, 4, 0, 7),
	/* Fourteen prefixes and the opcode: 17 bytes, beyond the limit of 15. */
	UNKNOWN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\x01\xd9", true),
	/* Twelve: exactly 15. */
	ROW("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\x01\xd9", true, INSN_VMMCALL, 15,
	    0, 0),
	/* CLTS; LMSW %ax, LMSW %r9w; LMSW from memory is not decoded. */
	ROW("\x0f\x06", true, INSN_CLTS, 2, 0, 0),
	ROW("\x0f\x01\xf0", false, INSN_LMSW, 3, 0, 0),
	ROW("\x41\x0f\x01\xf1", true, INSN_LMSW, 4, 0, 9),
	UNKNOWN("\x0f\x01\x30", true),
	UNKNOWN("\x0f\x0b", true),	   /* ud2 */
	UNKNOWN("\x0f\x01\xd8", true),	   /* vmrun */
	UNKNOWN("\x0f\x01\xc2", true),	   /* vmlaunch */
	UNKNOWN("\x0f\x01\xf8", true),	   /* swapgs */
	UNKNOWN("\x0f\x24\xc0", true),	   /* mov from a test register: long gone */
	UNKNOWN("\x90\x0f\x01\xd9", true), /* nop first */
	UNKNOWN("\xf0\x0f\x01\xd9", true), /* lock vmmcall raises #UD */
	UNKNOWN("\xf0\x0f\x23\xc0", true), /* lock mov dr raises #UD */
	UNKNOWN("\x0f\x01", true),	   /* cut short */
	UNKNOWN("\x66\x0f\x22", true),
	UNKNOWN("", true),
};

static void decodes_the_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct insn insn;
		enum insn_kind kind =
			insn_decode((const uint8_t *)r->bytes, r->count, r->code64, &insn);
		if (kind != r->kind || insn.length != r->length || insn.reg != r->reg ||
		    insn.gpr != r->gpr)
			print_error("row %u: kind %d length %u reg %u gpr %u\n", i, kind,
				    insn.length, insn.reg, insn.gpr);
		assert_int_equal(kind, r->kind);
		assert_int_equal(insn.kind, r->kind);
		assert_int_equal(insn.length, r->length);
		assert_int_equal(insn.reg, r->reg);
		assert_int_equal(insn.gpr, r->gpr);
	}
}

static void never_reads_beyond_count(void **state)
{
	(void)state;
	/* Only the first two bytes are the caller's to give; the third must not be looked at. */
	static const uint8_t bytes[] = { 0x0f, 0x01, 0xd9 };
	struct insn insn;
	assert_int_equal(insn_decode(bytes, 2, true, &insn), INSN_UNKNOWN);
	assert_int_equal(insn_decode(bytes, 3, true, &insn), INSN_VMMCALL);
	uint8_t *heap = malloc(15); /* AddressSanitizer catches a read past 15 */
	memset(heap, 0x66, 15);
	assert_int_equal(insn_decode(heap, 15, true, &insn), INSN_UNKNOWN);
	free(heap);
}

/* The MMIO forms: every field of struct insn is compared. */
struct mmio_row {
	const char *bytes;
	unsigned count;
	bool code64;
	struct insn want;
};

#define MMIO(b, c64, ...)                                                                          \
	{                                                                                          \
		b, sizeof(b) - 1, c64,                                                             \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define LOAD(b, c64, len, g, sz, dsz)                                                              \
	MMIO(b, c64, .kind = INSN_MMIO_LOAD, .length = len, .gpr = g, .size = sz, .dest_size = dsz)
#define LOAD_HIGH(b, c64, len, g)                                                                  \
	MMIO(b, c64, .kind = INSN_MMIO_LOAD, .length = len, .gpr = g, .size = 1, .dest_size = 1,   \
	     .high_byte = true)
#define STORE(b, c64, len, g, sz)                                                                  \
	MMIO(b, c64, .kind = INSN_MMIO_STORE, .length = len, .gpr = g, .size = sz)
#define STORE_HIGH(b, c64, len, g)                                                                 \
	MMIO(b, c64, .kind = INSN_MMIO_STORE, .length = len, .gpr = g, .size = 1, .high_byte = true)
#define STORE_IMM(b, c64, len, sz, value)                                                          \
	MMIO(b, c64, .kind = INSN_MMIO_STORE, .length = len, .size = sz, .has_imm = true,          \
	     .imm = value)
#define NOT_MMIO(b, c64) MMIO(b, c64, .kind = INSN_UNKNOWN)

static const struct mmio_row mmio_rows[] = {
	/* MOV with an absolute address (a0-a3): what gcc emits for a constant address */
	LOAD("\xa1\x20\x00\xe0\xfe\x00\x00\x00\x00", true, 9, 0, 4, 4), /* movabs 0xfee00020,%eax */
	STORE("\x48\xa3\xb0\x00\xe0\xfe\x00\x00\x00\x00", true, 10, 0,
	      8),						      /* movabs %rax,0xfee000b0 */
	STORE("\xa2\x20\x00\xe0\xfe\x00\x00\x00\x00", true, 9, 0, 1), /* movabs %al,0xfee00020 */
	LOAD("\x67\xa1\x20\x00\xe0\xfe", true, 6, 0, 4, 4), /* addr32 mov 0xfee00020,%eax */
	LOAD("\x66\xa1\x20\x00\xe0\xfe\x00\x00\x00\x00", true, 10, 0, 2,
	     2),						/* movabs 0xfee00020,%ax */
	LOAD("\xa1\x20\x00\xe0\xfe", false, 5, 0, 4, 4),	/* mov 0xfee00020,%eax (32-bit) */
	STORE("\x67\xa3\x20\x00", false, 4, 0, 4),		/* addr16 mov %eax,0x20 */
	NOT_MMIO("\xa1\x20\x00\xe0\xfe", true),			/* cut short: 8 address bytes */
	NOT_MMIO("\xf0\xa3\x20\x00\xe0\xfe", false),		/* LOCK: #UD */
	LOAD("\x8b\x02", true, 2, 0, 4, 4),			/* mov (%rdx),%eax */
	STORE("\x89\x50\x50", true, 3, 2, 4),			/* mov %edx,0x50(%rax) */
	LOAD("\x8a\x00", true, 2, 0, 1, 1),			/* mov (%rax),%al */
	LOAD("\x66\x8b\x47\x08", true, 4, 0, 2, 2),		/* mov 0x8(%rdi),%ax */
	LOAD("\x48\x8b\x07", true, 3, 0, 8, 8),			/* mov (%rdi),%rax */
	STORE("\x88\x44\x24\x08", true, 4, 0, 1),		/* mov %al,0x8(%rsp): SIB, disp8 */
	STORE("\x41\x89\x44\x24\x10", true, 5, 0, 4),		/* mov %eax,0x10(%r12) */
	LOAD("\x0f\xb6\x02", true, 3, 0, 1, 4),			/* movzbl (%rdx),%eax */
	LOAD("\x44\x8b\x0d\x12\x34\x56\x78", true, 7, 9, 4, 4), /* mov 0x78563412(%rip),%r9d */
	LOAD("\x8b\x8c\x98\x78\x56\x34\x12", true, 7, 1, 4, 4), /* 0x12345678(%rax,%rbx,4),%ecx */
	LOAD("\x8b\x04\xdd\x00\x00\x00\x00", true, 7, 0, 4, 4), /* mov 0x0(,%rbx,8),%eax */
	LOAD("\x8b\x04\x25\x00\x10\x00\x00", true, 7, 0, 4, 4), /* mov 0x1000,%eax: no base */
	LOAD("\x41\x8b\x45\x00", true, 4, 0, 4, 4),		/* mov 0x0(%r13),%eax: mod 1 */
	LOAD("\x8b\x45\x00", true, 3, 0, 4, 4),			/* mov 0x0(%rbp),%eax */
	LOAD("\x67\x8b\x16", true, 3, 2, 4, 4), /* mov (%esi),%edx: 67 in 64-bit code */
	LOAD("\x64\x8b\x04\x25\x10\x00\x00\x00", true, 8, 0, 4, 4), /* mov %fs:0x10,%eax */
	STORE("\x4f\x89\x3c\x08", true, 4, 15, 8),		    /* mov %r15,(%r8,%r9,1) */
	STORE("\x66\x45\x89\x38", true, 4, 15, 2),		    /* mov %r15w,(%r8) */
	STORE("\x89\x20", true, 2, 4, 4),			    /* mov %esp,(%rax): GPR_RSP */
	/* Byte registers 4-7: AH, CH, DH, BH without REX, SPL..DIL with any. */
	STORE_HIGH("\x88\x24\x25\x00\x00\x00\xfe", true, 7, 0), /* mov %ah,0xfffffffffe000000 */
	LOAD_HIGH("\x8a\x3b", true, 2, 3),			/* mov (%rbx),%bh */
	LOAD("\x40\x8a\x3b", true, 3, 7, 1, 1),			/* mov (%rbx),%dil */
	STORE("\x40\x88\x20", true, 3, 4, 1),			/* mov %spl,(%rax) */
	LOAD("\x0f\xb6\x20", true, 3, 4, 1, 4),			/* movzbl (%rax),%esp: not AH */
	/* MOVZX into every width. */
	LOAD("\x44\x0f\xb7\x51\x02", true, 5, 10, 2, 4), /* movzwl 0x2(%rcx),%r10d */
	LOAD("\x66\x0f\xb6\x10", true, 4, 2, 1, 2),	 /* movzbw (%rax),%dx */
	LOAD("\x4c\x0f\xb6\x00", true, 4, 8, 1, 8),	 /* movzbq (%rax),%r8 */
	LOAD("\x49\x0f\xb7\x45\x00", true, 5, 0, 2, 8),	 /* movzwq 0x0(%r13),%rax */
	/* Immediates: imm8, imm16, imm32, and imm32 sign-extended to 64 bits. */
	STORE_IMM("\xc7\x40\x70\x01\x00\x00\x00", true, 7, 4, 1), /* movl $0x1,0x70(%rax) */
	STORE_IMM("\x48\xc7\x47\x08\xfe\xff\xff\xff", true, 8, 8, 0xfffffffffffffffe),
	STORE_IMM("\x48\xc7\x00\xff\xff\xff\x7f", true, 7, 8, 0x7fffffff),
	STORE_IMM("\xc7\x00\x00\x00\x00\x80", true, 6, 4, 0x80000000), /* not extended */
	STORE_IMM("\x66\xc7\x06\xef\xbe", true, 5, 2, 0xbeef),	       /* movw $0xbeef,(%rsi) */
	STORE_IMM("\xc6\x45\xff\x5a", true, 4, 1, 0x5a),	       /* movb $0x5a,-0x1(%rbp) */
	/* REX.W wins over 66, so the immediate stays 4 bytes; a REX before 66 does not count. */
	STORE_IMM("\x66\x48\xc7\x00\xff\xff\xff\xff", true, 8, 8, 0xffffffffffffffff),
	LOAD("\x48\x66\x8b\x07", true, 4, 0, 2, 2),
	/* Bytes after the instruction are not part of it. */
	LOAD("\x8b\x02\xc3\x90", true, 2, 0, 4, 4),
	/* 32-bit code: no REX; 67 selects 16-bit addressing (no SIB, disp16). */
	LOAD("\x8b\x02", false, 2, 0, 4, 4),	     /* mov (%edx),%eax */
	STORE_HIGH("\x88\x23", false, 2, 0),	     /* mov %ah,(%ebx) */
	LOAD("\x66\x8b\x46\x08", false, 4, 0, 2, 2), /* mov 0x8(%esi),%ax */
	STORE_IMM("\xc7\x40\x10\x78\x56\x34\x12", false, 7, 4, 0x12345678),
	LOAD("\x8b\x05\x00\xe0\xfe\xff", false, 6, 0, 4, 4), /* mov 0xfffee000,%eax */
	LOAD("\x8a\x04\x24", false, 3, 0, 1, 1),	     /* mov (%esp),%al */
	LOAD("\x67\x8b\x00", false, 3, 0, 4, 4),	     /* mov (%bx,%si),%eax */
	LOAD("\x67\x8b\x0e\x34\x12", false, 5, 1, 4, 4),     /* mov 0x1234,%ecx */
	LOAD("\x67\x8b\x46\x10", false, 4, 0, 4, 4),	     /* mov 0x10(%bp),%eax */
	LOAD("\x67\x8b\x87\x34\x12", false, 5, 0, 4, 4),     /* mov 0x1234(%bx),%eax */
	LOAD("\x67\x8b\x04\x90", false, 3, 0, 4, 4),	     /* (%si),%eax: 04 is no SIB */
	/* Eight prefixes and seven bytes: exactly 15; ten make 17, beyond the limit. */
	LOAD("\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x84\x98\x78\x56\x34\x12", true, 15, 0, 2, 2),
	NOT_MMIO("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x84\x98\x78\x56\x34\x12", true),
	/* Not MMIO: register operands, c6/c7 other than /0, LOCK, INC in 32-bit
	 * code, and every instruction cut short. */
	NOT_MMIO("\x89\xc0", true), /* mov %eax,%eax */
	NOT_MMIO("\x8a\xc4", true), /* mov %ah,%al */
	NOT_MMIO("\x0f\xb6\xc0", true),
	NOT_MMIO("\xc7\xc0\x01\x00\x00\x00", true),	/* mov $1,%eax */
	NOT_MMIO("\xc6\x08\x01", true),			/* c6 /1 */
	NOT_MMIO("\xc7\x78\x10\x00\x00\x00\x00", true), /* c7 /7 */
	NOT_MMIO("\xf0\x89\x02", true),
	NOT_MMIO("\x41\x8b\x02", false),
	NOT_MMIO("\x0f\xbe\x02", true), /* movsbl: not decoded */
	NOT_MMIO("\x8b", true),
	NOT_MMIO("\x8b\x04", true),		    /* SIB missing */
	NOT_MMIO("\x8b\x04\x25\x00\x10\x00", true), /* disp32 short */
	NOT_MMIO("\x44\x8b\x0d\x12\x34\x56", true), /* RIP-relative disp32 short */
	NOT_MMIO("\x8b\x44\x24", true),		    /* disp8 missing */
	NOT_MMIO("\xc7\x40\x70\x01\x00\x00", true), /* imm32 short */
	NOT_MMIO("\x66\xc7\x06\xef", true),	    /* imm16 short */
	NOT_MMIO("\x67\x8b\x0e\x34", false),	    /* disp16 short */
	NOT_MMIO("\x0f\xb6", true),
	NOT_MMIO("\x0f", true),
	NOT_MMIO("\x66\x48", true),
};

static bool same_insn(const struct insn *a, const struct insn *b)
{
	return a->kind == b->kind && a->length == b->length && a->reg == b->reg &&
	       a->gpr == b->gpr && a->size == b->size && a->dest_size == b->dest_size &&
	       a->high_byte == b->high_byte && a->has_imm == b->has_imm && a->imm == b->imm;
}

static void decodes_the_mmio_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(mmio_rows) / sizeof(mmio_rows[0]); i++) {
		const struct mmio_row *r = &mmio_rows[i];
		const struct insn *w = &r->want;
		struct insn got;
		enum insn_kind kind =
			insn_decode((const uint8_t *)r->bytes, r->count, r->code64, &got);
		if (kind != w->kind || !same_insn(&got, w))
			print_error("mmio row %u: kind %d length %u gpr %u size %u dest_size %u "
				    "high_byte %d has_imm %d imm %#llx\n",
				    i, got.kind, got.length, got.gpr, got.size, got.dest_size,
				    got.high_byte, got.has_imm, (unsigned long long)got.imm);
		assert_int_equal(kind, w->kind);
		assert_int_equal(got.kind, w->kind);
		assert_int_equal(got.length, w->length);
		assert_int_equal(got.reg, 0);
		assert_int_equal(got.gpr, w->gpr);
		assert_int_equal(got.size, w->size);
		assert_int_equal(got.dest_size, w->dest_size);
		assert_int_equal(got.high_byte, w->high_byte);
		assert_int_equal(got.has_imm, w->has_imm);
		assert_int_equal(got.imm, w->imm);
	}
}

/* Each MMIO instruction given exactly its own bytes decodes; given any fewer, it is unknown,
 * and AddressSanitizer sees that the decoder reads none beyond them. */
static void mmio_needs_every_byte(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(mmio_rows) / sizeof(mmio_rows[0]); i++) {
		const struct mmio_row *r = &mmio_rows[i];
		unsigned length = r->want.length;
		for (unsigned count = 0; count <= length; count++) {
			uint8_t *heap = malloc(count ? count : 1);
			memcpy(heap, r->bytes, count);
			struct insn got;
			enum insn_kind want = count == length ? r->want.kind : INSN_UNKNOWN;
			if (insn_decode(heap, count, r->code64, &got) != want)
				print_error("mmio row %u with %u bytes: kind %d\n", i, count,
					    got.kind);
			assert_int_equal(got.kind, want);
			free(heap);
		}
	}
}

static struct insn decoded(const char *bytes, unsigned count, bool code64)
{
	struct insn insn;
	assert_int_not_equal(insn_decode((const uint8_t *)bytes, count, code64, &insn),
			     INSN_UNKNOWN);
	return insn;
}
#define DECODE64(b) decoded(b, sizeof(b) - 1, true)

static void load_writes_the_register_like_the_cpu(void **state)
{
	(void)state;
	const uint64_t old = 0x1111222233334444;
	const uint64_t data = 0xa5a5a5a5deadbeef;    /* bits above size must not matter */
	struct insn insn = DECODE64("\x48\x8b\x07"); /* mov (%rdi),%rax */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), data);
	insn = DECODE64("\x8b\x02"); /* mov (%rdx),%eax: bits 32-63 cleared */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0xdeadbeef);
	insn = DECODE64("\x66\x8b\x47\x08"); /* mov 0x8(%rdi),%ax: the rest kept */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0x111122223333beef);
	insn = DECODE64("\x8a\x00"); /* mov (%rax),%al */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0x11112222333344ef);
	insn = DECODE64("\x8a\x3b"); /* mov (%rbx),%bh: bits 8-15 */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0x111122223333ef44);
	insn = DECODE64("\x40\x8a\x3b"); /* mov (%rbx),%dil: bits 0-7 */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0x11112222333344ef);
	insn = DECODE64("\x0f\xb6\x02"); /* movzbl */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0xef);
	insn = DECODE64("\x66\x0f\xb6\x10"); /* movzbw: a 16-bit destination keeps the rest */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0x11112222333300ef);
	insn = DECODE64("\x49\x0f\xb7\x45\x00"); /* movzwq */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0xbeef);
	insn = DECODE64("\x44\x0f\xb7\x51\x02"); /* movzwl */
	assert_int_equal(insn_mmio_load_result(&insn, old, data), 0xbeef);
}

static void store_writes_what_the_cpu_would(void **state)
{
	(void)state;
	const uint64_t gpr = 0x1122334455667788;
	struct insn insn = DECODE64("\x4f\x89\x3c\x08"); /* mov %r15,(%r8,%r9,1) */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), gpr);
	insn = DECODE64("\x89\x50\x50"); /* mov %edx,0x50(%rax) */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x55667788);
	insn = DECODE64("\x66\x45\x89\x38"); /* mov %r15w,(%r8) */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x7788);
	insn = DECODE64("\x88\x44\x24\x08"); /* mov %al,0x8(%rsp) */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x88);
	insn = DECODE64("\x88\x24\x25\x00\x00\x00\xfe"); /* mov %ah,...: bits 8-15 */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x77);
	insn = DECODE64("\x40\x88\x20"); /* mov %spl,(%rax) */
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x88);
	/* Immediates: the register is not looked at. */
	insn = DECODE64("\xc7\x40\x70\x01\x00\x00\x00");
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 1);
	insn = DECODE64("\x48\xc7\x47\x08\xfe\xff\xff\xff");
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0xfffffffffffffffe);
	insn = DECODE64("\xc7\x00\x00\x00\x00\x80");
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x80000000);
	insn = DECODE64("\x66\xc7\x06\xef\xbe");
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0xbeef);
	insn = DECODE64("\xc6\x45\xff\x5a");
	assert_int_equal(insn_mmio_store_value(&insn, gpr), 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_the_table),
		cmocka_unit_test(never_reads_beyond_count),
		cmocka_unit_test(decodes_the_mmio_table),
		cmocka_unit_test(mmio_needs_every_byte),
		cmocka_unit_test(load_writes_the_register_like_the_cpu),
		cmocka_unit_test(store_writes_what_the_cpu_would),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
