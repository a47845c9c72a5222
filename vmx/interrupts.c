/* Interrupt injection (SDM Vol. 3C, 27.6): the virtual PIC's interrupts into the guest. */
#include "arch/x86_64/cpu.h"
#include "kernel/vintr.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

#define INTR_TYPE_EXTERNAL	 (0u << 8)
#define INTR_INFO_TYPE_MASK	 (7u << 8)
#define INTR_INFO_NMI_UNBLOCKING (1u << 12)

static void window_exiting(const struct vcpu *vcpu, bool on)
{
	uint32_t proc = vmx_proc_controls(vcpu);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, on ? proc | PROC_INTERRUPT_WINDOW_EXITING : proc);
}

void vmx_deliver_interrupts(struct vcpu *vcpu)
{
	vintr_update(vcpu);
	if (!vintr_pending(vcpu))
		return;
	bool busy = vmcs_read(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID; /* an event goes in already */
	bool open = (vmcs_read(GUEST_RFLAGS) & RFLAGS_IF) &&
		    !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & BLOCKING_BY_STI_OR_MOV_SS);
	uint8_t vector;
	if (!busy && open && vintr_ack(vcpu, &vector)) {
		vmcs_write(VM_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXTERNAL | vector);
		window_exiting(vcpu, false);
		return;
	}
	window_exiting(vcpu, true); /* exit as soon as the guest can take it */
}

void vmx_reinject_vectored_event(void)
{
	uint32_t info = (uint32_t)vmcs_read(IDT_VECTORING_INFO);
	if (!(info & INTR_INFO_VALID))
		return;
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read(IDT_VECTORING_ERROR_CODE));
	uint32_t type = info & INTR_INFO_TYPE_MASK;
	if (type >= (4u << 8)) /* software interrupts and exceptions: the instruction again */
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmcs_read(VM_EXIT_INSTRUCTION_LEN));
	vmcs_write(VM_ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCKING);
}

enum exit_action vmx_exit_interrupt_window(struct vcpu *vcpu)
{
	(void)vcpu;
	window_exiting(vcpu, false); /* vmx_deliver_interrupts injects on the way back in */
	return EXIT_RESUME;
}
