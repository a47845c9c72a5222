/*
 * Just enough of an x86 decoder to recognise the few instructions kan emulates when the
 * hardware does not say which one exited: the two vendors' hypercall instructions, and MOV
 * to or from a control or debug register. Everything else is INSN_UNKNOWN. Pure.
 */
#ifndef KAN_KERNEL_INSN_DECODE_H
#define KAN_KERNEL_INSN_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LENGTH 15 /* the architecture's limit, prefixes included */

enum insn_kind {
	INSN_UNKNOWN,
	INSN_VMCALL,	  /* 0f 01 c1: Intel's hypercall */
	INSN_VMMCALL,	  /* 0f 01 d9: AMD's hypercall */
	INSN_MOV_TO_CR,	  /* 0f 22 /r: CRn <- gpr */
	INSN_MOV_FROM_CR, /* 0f 20 /r: gpr <- CRn */
	INSN_MOV_TO_DR,	  /* 0f 23 /r: DRn <- gpr */
	INSN_MOV_FROM_DR, /* 0f 21 /r: gpr <- DRn */
	INSN_CLTS,	  /* 0f 06 */
	INSN_LMSW,	  /* 0f 01 /6 with a register operand (gpr); the memory form is unknown */
};

struct insn {
	enum insn_kind kind;
	uint8_t length; /* bytes, prefixes included; 0 for INSN_UNKNOWN */
	uint8_t reg;	/* MOV CR/DR: n of CRn or DRn (REX.R adds 8; LOCK makes CR0 CR8) */
	uint8_t gpr;	/* MOV CR/DR: the general register, numbered as enum guest_gpr */
};

/*
 * Decodes the instruction in bytes[0, count). `code64`: the guest runs 64-bit code, where
 * 40-4f are REX prefixes (elsewhere they are INC and DEC, and so unknown). Legacy prefixes
 * (66, 67, f2, f3, segment overrides) are skipped; LOCK is accepted only on MOV CR, where
 * AMD reads it as CR8 (the CPU decides whether that is allowed: kan only decodes). An
 * instruction longer than `count` or INSN_MAX_LENGTH bytes is unknown. Returns out->kind.
 */
enum insn_kind insn_decode(const uint8_t *bytes, unsigned count, bool code64, struct insn *out);

#endif
