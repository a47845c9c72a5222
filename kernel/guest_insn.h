/*
 * The guest's instruction at CS:RIP, read through its own page tables and decoded: for the
 * exits whose hardware does not say what the instruction was (a #UD on the other vendor's
 * hypercall instruction; a CR write on AMD-V without decode assists). Both backends use it.
 */
#ifndef KAN_KERNEL_GUEST_INSN_H
#define KAN_KERNEL_GUEST_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/guest_walk.h"
#include "kernel/insn_decode.h"
#include "kernel/vm.h"

/*
 * Fills `out` with the instruction at `rip`: `p` holds the guest's CR0, CR3, CR4 and EFER as
 * its CPU uses them, `cs_base` CS's base and `cs_long` CS.L (64-bit code). True if it is one
 * insn_decode knows; false (out->kind INSN_UNKNOWN) if not, or if its bytes could not be
 * read (a page not present, outside the VM's RAM). The caller then does what the CPU would
 * have, usually injecting #UD. For example, from an exit on #UD:
 *     struct guest_paging p = { cr0, cr3, cr4, efer };
 *     if (guest_fetch_insn(vm, &p, cs_base, rip, cs_long, &insn) && insn.kind == INSN_VMMCALL)
 */
/* Reads up to `len` bytes of code at CS:RIP as above; returns how many it could. */
unsigned guest_read_code(struct vm *vm, const struct guest_paging *p, uint64_t cs_base,
			 uint64_t rip, bool cs_long, void *buf, unsigned len);

bool guest_fetch_insn(struct vm *vm, const struct guest_paging *p, uint64_t cs_base, uint64_t rip,
		      bool cs_long, struct insn *out);

#endif
