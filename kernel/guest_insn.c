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

unsigned guest_read_code(struct vm *vm, const struct guest_paging *p, uint64_t cs_base,
			 uint64_t rip, bool cs_long, void *buf, unsigned len)
{
	const struct guest_memory mem = { .read = read_vm_ram, .ctx = vm };
	return guest_read_linear(p, &mem, guest_code_linear(p, cs_base, rip, cs_long), buf, len);
}

bool guest_fetch_insn(struct vm *vm, const struct guest_paging *p, uint64_t cs_base, uint64_t rip,
		      bool cs_long, struct insn *out)
{
	uint8_t bytes[INSN_MAX_LENGTH];
	unsigned count = guest_read_code(vm, p, cs_base, rip, cs_long, bytes, sizeof(bytes));
	bool code64 = cs_long && (p->efer & EFER_LMA);
	return insn_decode(bytes, count, code64, out) != INSN_UNKNOWN;
}
