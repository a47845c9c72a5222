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

void vintr_update(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	lock(vm);
	if (vm->has_pic)
		vpic_tick(&vm->pic, rdtsc());
	vm_devices_poll(vm);
	unlock(vm);
}

bool vintr_pending(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	/* The 8259's output goes to the boot vCPU (LINT0 in virtual-wire mode). */
	return vm->has_pic && vcpu->index == 0 && vpic_pending(&vm->pic);
}

bool vintr_ack(struct vcpu *vcpu, uint8_t *vector)
{
	struct vm *vm = vcpu->vm;
	if (!vm->has_pic || vcpu->index != 0)
		return false;
	lock(vm);
	bool taken = vpic_ack(&vm->pic, vector);
	unlock(vm);
	return taken;
}

uint64_t vintr_next_event(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	if (vm->has_pic && vcpu->index == 0 && vm->pic.pit.period_tsc)
		return vm->pic.pit.next_tick;
	return UINT64_MAX;
}
