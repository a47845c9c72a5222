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

void svm_deliver_interrupts(struct vcpu *vcpu, struct vmcb *vmcb)
{
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
