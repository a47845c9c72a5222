/* Glue between the VM's RAM and the pure walker and decoder (guest_walk.c, insn_decode.c). */
#include "kernel/guest_insn.h"

#include "kernel/string.h"

#define EFER_LMA (1ull << 10)

static bool read_vm_ram(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	const void *src = vm_guest_ptr(ctx, gpa, len);
	if (!src)
		return false;
	memcpy(buf, src, len);
	return true;
}

bool guest_fetch_insn(struct vm *vm, const struct guest_paging *p, uint64_t cs_base, uint64_t rip,
		      bool cs_long, struct insn *out)
{
	const struct guest_memory mem = { .read = read_vm_ram, .ctx = vm };
	uint8_t bytes[INSN_MAX_LENGTH];
	uint64_t linear = guest_code_linear(p, cs_base, rip, cs_long);
	unsigned count = guest_read_linear(p, &mem, linear, bytes, sizeof(bytes));
	bool code64 = cs_long && (p->efer & EFER_LMA);
	return insn_decode(bytes, count, code64, out) != INSN_UNKNOWN;
}
