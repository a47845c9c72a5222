/* insn_decode (kernel/insn_decode.c): a table of encodings with their kind, register numbers
 * and length, and the ones that must stay unknown. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_the_table),
		cmocka_unit_test(never_reads_beyond_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
