/* The interrupt interface (kernel/vintr.h) over the VM's device models. */
#include "kernel/vintr.h"
#include "arch/x86_64/cpu.h"
#include "kernel/vm_devices.h"

/* The models are the VM's, reached from each of its vCPUs' CPUs: with several vCPUs they are
 * taken under the VM's device lock. */
static void lock(struct vm *vm)
{
	if (vm->vcpu_count > 1)
		spin_lock(&vm->dev_lock);
}

static void unlock(struct vm *vm)
{
	if (vm->vcpu_count > 1)
		spin_unlock(&vm->dev_lock);
}

/* The 8259's output reaches the boot vCPU: its INTR pin, or LINT0 of its local APIC in
 * virtual-wire mode (ExtINT, unmasked). */
static bool pic_reaches(const struct vcpu *vcpu)
{
	const struct vm *vm = vcpu->vm;
	if (!vm->has_pic || vcpu->index != 0)
		return false;
	if (!vm->has_lapic || !vlapic_hw_enabled(&vcpu->lapic))
		return true;
	uint32_t lint0 = vcpu->lapic.lvt[VLAPIC_LVT_LINT0];
	return !(lint0 & VLAPIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DELIVERY_EXTINT;
}

void vintr_update(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t now = rdtsc();
	lock(vm);
	if (vm->has_pic && vcpu->index == 0)
		vpic_tick(&vm->pic, now);
	if (vm->has_lapic)
		vlapic_tick(&vcpu->lapic, now);
	vm_devices_poll(vm);
	unlock(vm);
}

bool vintr_pending(struct vcpu *vcpu)
{
	if (vcpu->vm->has_lapic && vlapic_pending(&vcpu->lapic) >= 0)
		return true;
	return pic_reaches(vcpu) && vpic_pending(&vcpu->vm->pic);
}

bool vintr_ack(struct vcpu *vcpu, uint8_t *vector)
{
	struct vm *vm = vcpu->vm;
	bool taken = false;
	lock(vm);
	int v = vm->has_lapic ? vlapic_pending(&vcpu->lapic) : -1;
	if (v >= 0) {
		vlapic_ack(&vcpu->lapic, (uint8_t)v);
		*vector = (uint8_t)v;
		taken = true;
	} else if (pic_reaches(vcpu)) {
		taken = vpic_ack(&vm->pic, vector);
	}
	unlock(vm);
	return taken;
}

uint64_t vintr_next_event(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t next = UINT64_MAX;
	if (vm->has_pic && vcpu->index == 0 && vm->pic.pit.period_tsc)
		next = vm->pic.pit.next_tick;
	if (vm->has_lapic) {
		uint64_t t = vlapic_next_event(&vcpu->lapic);
		if (t < next)
			next = t;
	}
	return next;
}

bool vintr_msr_owned(const struct vcpu *vcpu, uint32_t msr)
{
	return vcpu->vm->has_lapic && vlapic_msr_owned(msr);
}

int vintr_msr(struct vcpu *vcpu, uint32_t msr, bool write, uint64_t *value)
{
	struct vm *vm = vcpu->vm;
	lock(vm);
	int r = write ? vlapic_msr_write(&vcpu->lapic, msr, *value)
		      : vlapic_msr_read(&vcpu->lapic, msr, value);
	unlock(vm);
	return r;
}

bool vintr_mmio(struct vcpu *vcpu, uint64_t gpa, unsigned size, bool write, uint64_t *value)
{
	struct vm *vm = vcpu->vm;
	if (!vm->has_lapic || gpa - VLAPIC_BASE_ADDRESS >= 0x1000)
		return false;
	lock(vm);
	bool mine = vlapic_xapic_mmio_active(&vcpu->lapic);
	if (mine)
		vlapic_mmio(&vcpu->lapic, (uint32_t)(gpa - VLAPIC_BASE_ADDRESS), size, write,
			    value);
	unlock(vm);
	return mine;
}

bool vintr_lapic_page(const struct vcpu *vcpu, uint64_t gpa)
{
	return vcpu->vm->has_lapic && gpa - VLAPIC_BASE_ADDRESS < 0x1000 &&
	       vlapic_xapic_mmio_active(&vcpu->lapic);
}

bool vintr_cr8(struct vcpu *vcpu, bool write, uint64_t *cr8)
{
	struct vm *vm = vcpu->vm;
	if (!vm->has_lapic)
		return false;
	lock(vm);
	if (write)
		vlapic_set_tpr(&vcpu->lapic, (uint8_t)(*cr8 << 4));
	else
		*cr8 = vlapic_get_tpr(&vcpu->lapic) >> 4;
	unlock(vm);
	return true;
}
