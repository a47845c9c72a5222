/* Interrupt injection under AMD-V (APM Vol. 2, 15.20-15.21): the virtual PIC's interrupts. */
#include "arch/x86_64/cpu.h"
#include "kernel/vintr.h"
#include "kernel/vm.h"
#include "svm/svm_cpu.h"

/*
 * The interrupt window: V_IRQ with the VINTR intercept makes the guest exit as soon as it
 * could take an interrupt (IF set, no interrupt shadow); the vector then goes in by EVENTINJ.
 */
static void window_exiting(struct vmcb *vmcb, bool on)
{
	struct vmcb_control *c = &vmcb->control;
	if (on) {
		c->v_intr |= SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_PRIO(0xf);
		c->intercepts1 |= SVM_INTERCEPT1_VINTR;
	} else {
		c->v_intr &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_PRIO(0xf));
		c->intercepts1 &= ~SVM_INTERCEPT1_VINTR;
	}
}

/*
 * With V_INTR_MASKING the guest's CR8 is V_TPR, read and written without an exit. A VM with
 * local APICs has one task priority per vCPU, the APIC's TPR[7:4]: the guest's CR8 writes are
 * taken into the APIC after every exit, and the APIC's TPR goes back into V_TPR before entry.
 */
void svm_tpr_from_guest(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t cr8 = vmcb->control.v_intr & 0xf;
	if (vcpu->vm->has_lapic && cr8 != ((struct svm_vcpu *)vcpu->backend)->v_tpr)
		vintr_cr8(vcpu, true, &cr8);
}

static void tpr_to_guest(struct vcpu *vcpu, struct vmcb *vmcb)
{
	uint64_t cr8;
	if (vintr_cr8(vcpu, false, &cr8)) {
		vmcb->control.v_intr = (vmcb->control.v_intr & ~0xfull) | cr8;
		((struct svm_vcpu *)vcpu->backend)->v_tpr = (uint8_t)cr8;
	}
}

void svm_deliver_interrupts(struct vcpu *vcpu, struct vmcb *vmcb)
{
	tpr_to_guest(vcpu, vmcb);
	vintr_update(vcpu);
	if (!vintr_pending(vcpu))
		return;
	bool busy = vmcb->control.event_inj & SVM_EVENT_VALID; /* an event goes in already */
	bool open = (vmcb->save.rflags & RFLAGS_IF) &&
		    !(vmcb->control.int_state & SVM_INT_STATE_SHADOW);
	uint8_t vector;
	if (!busy && open && vintr_ack(vcpu, &vector)) {
		vmcb->control.event_inj = SVM_EVENT_VALID | SVM_EVENT_TYPE_INTR | vector;
		window_exiting(vmcb, false);
		return;
	}
	window_exiting(vmcb, true);
}

/*
 * An event whose delivery the exit interrupted goes in again. A software interrupt (INT n)
 * or a software exception (INT3, INTO) does not: RIP still points at its instruction, which
 * runs again (without NRIP save kan could not re-inject it with the right return address).
 */
void svm_reinject_event(struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exit_int_info;
	uint64_t type = info & SVM_EVENT_TYPE_MASK;
	unsigned vector = info & 0xff;
	if (type == SVM_EVENT_TYPE_SOFT ||
	    (type == SVM_EVENT_TYPE_EXCEPTION && (vector == 3 || vector == 4)))
		return;
	vmcb->control.event_inj = info;
}

enum svm_action svm_exit_vintr(struct vcpu *vcpu, struct vmcb *vmcb)
{
	(void)vcpu;
	window_exiting(vmcb, false); /* svm_deliver_interrupts injects on the way back in */
	return SVM_RESUME;
}
