/* The message fabric between a VM's local APICs (kernel/vm_apic.h). */
#include "kernel/vm_apic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/sched.h"
#include "kernel/time.h"

/* The shortest period a guest's periodic LAPIC timer re-arms with: an initial count of 1
 * would otherwise ask for an interrupt on every TSC tick. 10 kHz is more than any OS uses. */
#define APIC_TIMER_MIN_PERIOD_US 100

static uint64_t apic_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

static void apic_send(void *ctx, struct vlapic *from, const struct apic_msg *msg)
{
	vm_apic_deliver(ctx, from, msg);
}

static void apic_eoi_level(void *ctx, uint8_t vector)
{
	struct vm *vm = ctx;
	if (vm->has_ioapic)
		vioapic_eoi(&vm->ioapic, vector);
}

static const struct vlapic_ops apic_ops = {
	.now = apic_now,
	.send = apic_send,
	.eoi_level = apic_eoi_level,
};

static void ioapic_send(void *ctx, const struct apic_msg *msg)
{
	vm_apic_deliver(ctx, NULL, msg);
}

static const struct vioapic_ops ioapic_ops = { .send = ioapic_send };

static void ioapic_access(void *io, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
	vioapic_mmio(io, (uint32_t)offset, size, write, value);
}

void vm_ioapic_reset(struct vm *vm)
{
	/* Its ID follows the vCPUs' APIC IDs, as the MADT says. */
	vioapic_init(&vm->ioapic, (uint8_t)vm->vcpu_count, &ioapic_ops, vm);
}

void vm_ioapic_attach(struct vm *vm)
{
	vm->has_ioapic = true;
	vm_ioapic_reset(vm);
	mmiobus_register(&vm->devices.mmio, VIOAPIC_BASE, 0x1000, ioapic_access, &vm->ioapic);
}

void vm_isa_irq(struct vm *vm, unsigned irq)
{
	if (vm->has_pic) {
		vpic_raise(&vm->pic, irq);
		if (vm->vcpu_count > 1)
			sched_notify(vm_boot_vcpu(vm)); /* the 8259 reaches vCPU 0 only */
	}
	if (vm->has_ioapic)
		vioapic_pulse(&vm->ioapic, irq == 0 ? 2 : irq);
}

void vm_apic_reset(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vlapic *l = &vm->vcpus[i].lapic;
		vlapic_init(l, i, i == 0, &apic_ops, vm);
		l->timer_min_period = time_us_to_tsc(APIC_TIMER_MIN_PERIOD_US);
	}
}

/* A fixed, lowest-priority or NMI message for `v`: it takes it, and its CPU looks. */
static void accept(struct vcpu *v, const struct apic_msg *msg)
{
	vlapic_accept(&v->lapic, msg);
	sched_notify(v);
}

void vm_apic_deliver(struct vm *vm, const struct vlapic *from, const struct apic_msg *msg)
{
	struct vcpu *lowest = NULL;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!vlapic_match(&v->lapic, msg, from))
			continue;
		switch (msg->delivery) {
		case APIC_DELIVERY_FIXED:
			accept(v, msg);
			break;
		case APIC_DELIVERY_NMI:
			/* kan injects no NMI into a guest yet (the backends would have to track
			 * the guest's NMI blocking): said once per VM, and counted. */
			if (!vm->nmis_dropped++)
				printk("kan: vm %s: an NMI for vCPU %u dropped: kan does not "
				       "inject "
				       "NMIs into guests\n",
				       vm->config.name, i);
			break;
		case APIC_DELIVERY_LOWEST:
			/* One of them: the lowest arbitration priority; a software-disabled APIC
			 * would drop it, so it is chosen last. */
			if (!lowest ||
			    (vlapic_sw_enabled(&v->lapic) &&
			     (!vlapic_sw_enabled(&lowest->lapic) ||
			      vlapic_priority(&v->lapic) < vlapic_priority(&lowest->lapic))))
				lowest = v;
			break;
		case APIC_DELIVERY_INIT:
			if (msg->assert) { /* the level de-assert of old APICs does nothing */
				vlapic_init_signal(&v->lapic);
				vcpu_deliver_init(v);
			}
			break;
		case APIC_DELIVERY_SIPI:
			vcpu_deliver_sipi(v, msg->vector);
			break;
		default:
			break; /* SMI and ExtINT by IPI: nothing a VM has */
		}
	}
	if (lowest)
		accept(lowest, msg);
}
