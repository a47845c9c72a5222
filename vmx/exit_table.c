/* The exit table: one entry per basic exit reason, each pointing at its own small handler. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/mce.h"
#include "kernel/vintr.h"
#include "kernel/console.h"
#include "kernel/trace.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

static const vmx_exit_handler exit_handlers[VMX_EXIT_REASON_COUNT] = {
	[VMX_EXIT_REASON_EXCEPTION_NMI] = vmx_exit_exception_nmi,
	[VMX_EXIT_REASON_EXTERNAL_INTERRUPT] = vmx_exit_external_interrupt,
	[VMX_EXIT_REASON_TRIPLE_FAULT] = vmx_exit_triple_fault,
	[VMX_EXIT_REASON_CPUID] = vmx_exit_cpuid,
	[VMX_EXIT_REASON_GETSEC] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_HLT] = vmx_exit_hlt,
	[VMX_EXIT_REASON_INVD] = vmx_exit_invd,
	[VMX_EXIT_REASON_RDPMC] = vmx_exit_general_protection,
	[VMX_EXIT_REASON_VMCALL] = vmx_exit_vmcall,
	/* The guest's CPUID says there is no VMX: its VMX instructions fault as they would. */
	[VMX_EXIT_REASON_VMCLEAR] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMLAUNCH] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMPTRLD] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMPTRST] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMREAD] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMRESUME] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMWRITE] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMXOFF] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMXON] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_INVEPT] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_INVVPID] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_VMFUNC] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_CR_ACCESS] = vmx_exit_cr_access,
	[VMX_EXIT_REASON_IO_INSTRUCTION] = vmx_exit_io,
	[VMX_EXIT_REASON_MSR_READ] = vmx_exit_msr_read,
	[VMX_EXIT_REASON_MSR_WRITE] = vmx_exit_msr_write,
	[VMX_EXIT_REASON_MWAIT] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_MONITOR] = vmx_exit_undefined_opcode,
	[VMX_EXIT_REASON_EPT_VIOLATION] = vmx_exit_ept_violation,
	[VMX_EXIT_REASON_EPT_MISCONFIG] = vmx_exit_ept_misconfig,
	[VMX_EXIT_REASON_PAUSE] = vmx_exit_pause,
	[VMX_EXIT_REASON_PREEMPTION_TIMER] = vmx_exit_preemption_timer,
	[VMX_EXIT_REASON_INTERRUPT_WINDOW] = vmx_exit_interrupt_window,
	[VMX_EXIT_REASON_XSETBV] = vmx_exit_xsetbv,
	[VMX_EXIT_REASON_WBINVD] = vmx_exit_invd,
	[VMX_EXIT_REASON_DR_ACCESS] = vmx_exit_dr_access,
};

_Static_assert(VMX_EXIT_REASON_COUNT <= VCPU_EXIT_REASONS, "exit counters too few");
_Static_assert(EXIT_RESUME == 0, "the exit stub resumes on 0");
_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "the exit stub finds regs at 0");

/* Called by the exit stub (vmx_entry.asm) for every VM exit: count it, run its handler.
 * EXIT_RESUME (0) re-enters the guest at once; anything else returns to vmx_vcpu_run. */
int vmx_exit_dispatch(struct vcpu *vcpu)
{
	uint32_t reason = (uint32_t)vmcs_read(VM_EXIT_REASON);
	if (__builtin_expect(reason & VMX_EXIT_REASON_ENTRY_FAILURE, 0)) {
		/* A machine check during the entry is the host's, not a fault of the guest's
		 * state: kan's handler reports it, and the entry is tried again later. */
		if ((reason & VMX_EXIT_REASON_BASIC_MASK) == VMX_EXIT_REASON_MACHINE_CHECK) {
			mce_reraise_from_guest();
			return EXIT_PREEMPT;
		}
		return VMX_EXIT_ENTRY_FAILED;
	}
	struct vmx_vcpu *vx = vcpu->backend;
	vx->launched = true; /* from now on: VMRESUME */
	uint32_t basic = reason & VMX_EXIT_REASON_BASIC_MASK;
	if (basic >= VMX_EXIT_REASON_COUNT || !exit_handlers[basic])
		return vmx_stop_with_report(vcpu, basic, "kan has no handler for this VM exit");
	vcpu->exits[basic]++;
	trace_exit(vcpu, basic);
	enum exit_action action;
	if (__builtin_expect(vintr_present(vcpu), 0)) {
		/* A VM with a virtual interrupt controller: an event the exit interrupted goes in
		 * again, and a pending interrupt goes in as soon as the guest can take it. */
		vmx_reinject_vectored_event();
		action = exit_handlers[basic](vcpu);
		if (action == EXIT_RESUME) {
			vmx_deliver_interrupts(vcpu);
			/* The exit may have armed the guest's timer, or been its tick. */
			uint64_t now = rdtsc();
			if (vintr_ticks_in_slice(vcpu) &&
			    (vintr_next_event(vcpu) < vx->timer_end || now >= vx->timer_end))
				vmx_arm_slice_timer(vcpu, vx, now);
		}
	} else {
		action = exit_handlers[basic](vcpu);
	}
	/* The preemption timer counts guest time only: a guest that exits all the time would
	 * keep its CPU for ever if the slice did not also end by the clock. */
	if (action == EXIT_RESUME && rdtsc() >= vx->slice_end)
		return EXIT_PREEMPT;
	return action;
}

const char *vmx_exit_name(unsigned i)
{
	return vmx_exit_reason_name(i);
}

/*
 * An exception as the guest's CPU would deliver it in the guest's current mode: in real mode
 * no exception pushes an error code (VM entry insists, SDM 26.2.1.3); in protected mode a
 * fault's pushed RFLAGS has RF set, so that returning retries the instruction without
 * re-triggering an instruction breakpoint (SDM 6.8.3).
 */
void vmx_inject_exception(unsigned vector, bool has_error_code, uint32_t error_code)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HARDWARE_EXCEPTION | vector;
	if (vmcs_read(GUEST_CR0) & CR0_PE) {
		if (has_error_code) {
			info |= INTR_INFO_DELIVER_CODE;
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
		}
		vmcs_write(GUEST_RFLAGS, vmcs_read(GUEST_RFLAGS) | RFLAGS_RF);
	}
	vmcs_write(VM_ENTRY_INTR_INFO, info);
}

enum exit_action vmx_stop_with_report(struct vcpu *vcpu, uint32_t reason, const char *why)
{
	vm_crash(vcpu->vm, "%s: exit reason %u (%s), qualification 0x%lx, guest RIP 0x%lx", why,
		 reason, vmx_exit_reason_name(reason), vmcs_read(EXIT_QUALIFICATION),
		 vmcs_read(GUEST_RIP));
	return EXIT_STOP;
}
