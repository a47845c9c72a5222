#include "kernel/mmio.h"
#include "kernel/guest_insn.h"
#include "kernel/vintr.h"

enum mmio_outcome vm_mmio_emulate(struct vcpu *vcpu, const struct guest_paging *p, uint64_t cs_base,
				  uint64_t rip, bool cs_long, uint64_t gpa, unsigned *length,
				  const char **why)
{
	struct vm *vm = vcpu->vm;
	bool lapic = vintr_lapic_page(vcpu, gpa); /* each vCPU's own, at the same address */
	if (!lapic && !mmiobus_find(&vm->devices.mmio, gpa, 1))
		return MMIO_NOT_DEVICE;
	struct insn insn;
	if (!guest_fetch_insn(vm, p, cs_base, rip, cs_long, &insn) ||
	    (insn.kind != INSN_MMIO_LOAD && insn.kind != INSN_MMIO_STORE)) {
		*why = "not a MOV kan emulates";
		return MMIO_REFUSED;
	}
	const struct mmio_range *r = lapic ? NULL : mmiobus_find(&vm->devices.mmio, gpa, insn.size);
	if (!lapic && !r) {
		*why = "an access that crosses the end of the device's window";
		return MMIO_REFUSED;
	}
	if (insn.gpr == GPR_RSP && !insn.has_imm) {
		*why = "a MOV with RSP"; /* RSP lives in the backend's state, not in regs */
		return MMIO_REFUSED;
	}
	uint64_t *gpr = &vcpu->regs.gpr[insn.gpr];
	uint64_t value = 0;
	if (lapic) {
		if (insn.kind == INSN_MMIO_STORE) {
			value = insn_mmio_store_value(&insn, *gpr);
			vintr_mmio(vcpu, gpa, insn.size, true, &value);
		} else {
			vintr_mmio(vcpu, gpa, insn.size, false, &value);
			*gpr = insn_mmio_load_result(&insn, *gpr, value);
		}
		*length = insn.length;
		return MMIO_DONE;
	}
	bool shared = vm->vcpu_count > 1; /* its other vCPUs reach the devices too */
	if (shared)
		spin_lock(&vm->dev_lock);
	if (insn.kind == INSN_MMIO_STORE) {
		value = insn_mmio_store_value(&insn, *gpr);
		r->handler(r->device, gpa - r->base, insn.size, true, &value);
	} else {
		r->handler(r->device, gpa - r->base, insn.size, false, &value);
		*gpr = insn_mmio_load_result(&insn, *gpr, value);
	}
	if (shared)
		spin_unlock(&vm->dev_lock);
	*length = insn.length;
	return MMIO_DONE;
}
