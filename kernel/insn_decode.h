/*
 * Just enough of an x86 decoder to recognise the few instructions kan emulates when the
 * hardware does not say which one exited: the two vendors' hypercall instructions, MOV to or
 * from a control or debug register, and the MOV loads and stores a guest uses on a device's
 * registers (MMIO: kan knows the guest-physical address from the exit, not the access).
 * Everything else is INSN_UNKNOWN. Pure.
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
	INSN_MMIO_LOAD,	  /* gpr <- memory: 8a /r, 8b /r, 0f b6 /r, 0f b7 /r (MOVZX), a0, a1 */
	INSN_MMIO_STORE,  /* memory <- gpr or imm: 88 /r, 89 /r, c6 /0 ib, c7 /0 iw/id, a2, a3 */
};

struct insn {
	enum insn_kind kind;
	uint8_t length; /* bytes, prefixes included; 0 for INSN_UNKNOWN */
	uint8_t reg;	/* MOV CR/DR: n of CRn or DRn (REX.R adds 8; LOCK makes CR0 CR8) */
	/* MOV CR/DR, LMSW, MMIO: the general register, numbered as enum guest_gpr. For AH, CH,
	 * DH and BH it is the register holding them (RAX..RBX), with high_byte set. An MMIO
	 * access through RSP (mov %esp,(%rax)) names GPR_RSP: the caller reads it from where
	 * its backend keeps it. Unused (0) for a store of an immediate. */
	uint8_t gpr;
	/* MMIO only (zero otherwise): */
	uint8_t size;	   /* bytes read or written at the address: 1, 2, 4 or 8 */
	uint8_t dest_size; /* loads: width of the register written (MOVZX: wider than size) */
	bool high_byte;	   /* the register is AH, CH, DH or BH: bits 8-15 of gpr */
	bool has_imm;	   /* a store of imm rather than of gpr */
	uint64_t imm;	   /* the value stored, already sign-extended and cut to size bytes */
};

/*
 * Decodes the instruction in bytes[0, count). `code64`: the guest runs 64-bit code, where
 * 40-4f are REX prefixes (elsewhere they are INC and DEC, and so unknown); outside 64-bit code
 * the decoder assumes a 32-bit code segment (CS.D = 1): 16-bit code would be mis-sized, so do
 * not emulate MMIO for a guest in real mode or 16-bit protected mode with it. Legacy prefixes
 * (66, 67, f2, f3, segment overrides) are skipped, 66 and 67 setting the operand and address
 * sizes of an MMIO access; LOCK is accepted only on MOV CR, where
 * AMD reads it as CR8 (the CPU decides whether that is allowed: kan only decodes). MMIO
 * forms need a memory operand (ModRM.mod != 3); any addressing form is measured, 16-bit
 * (67 in 32-bit code) included, but the address itself is not computed: the exit gives it.
 * An instruction longer than `count` or INSN_MAX_LENGTH bytes is unknown. Returns out->kind.
 */
enum insn_kind insn_decode(const uint8_t *bytes, unsigned count, bool code64, struct insn *out);

/*
 * The register's new value after an INSN_MMIO_LOAD read `data` (its low size bytes count):
 * a 4- or 8-byte destination is zero-extended (32-bit writes clear bits 32-63, MOVZX clears
 * everything above size), a 1- or 2-byte one keeps the rest of old_gpr, AH..BH replace bits
 * 8-15 only.
 */
uint64_t insn_mmio_load_result(const struct insn *insn, uint64_t old_gpr, uint64_t data);

/*
 * The value an INSN_MMIO_STORE writes (its low size bytes, the rest zero): the immediate, or
 * the register's low size bytes (bits 8-15 for AH..BH).
 */
uint64_t insn_mmio_store_value(const struct insn *insn, uint64_t gpr);

#endif
