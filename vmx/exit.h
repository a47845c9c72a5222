/* VM-exit handling: the table indexed by exit reason, and what a handler decides. */
#ifndef KAN_VMX_EXIT_H
#define KAN_VMX_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vm.h"
#include "vmx/vmcs.h"

enum exit_action {
	EXIT_RESUME,  /* handled: re-enter the guest at once */
	EXIT_PREEMPT, /* its time slice ended */
	EXIT_YIELD,   /* it gave the CPU away */
	EXIT_HALT,    /* it waits for an interrupt */
	EXIT_STOP,    /* the VM has ended or was stopped (vm_exit/vm_stop already said why) */
};

typedef enum exit_action (*vmx_exit_handler)(struct vcpu *vcpu);

/* What vmx_exit_dispatch returns when the exit reports a failed VM entry. */
#define VMX_EXIT_ENTRY_FAILED 100
int vmx_exit_dispatch(struct vcpu *vcpu);

/* Helpers for handlers. */
#define BLOCKING_BY_STI_OR_MOV_SS 0x3u

#define CS_AR_LONG_MODE (1u << 13) /* CS.L in GUEST_CS_AR_BYTES: 64-bit code */

/* Completes an emulated instruction of `length` bytes: RIP past it, and the interrupt shadow
 * of an STI or MOV SS just before it ends, as it would have after one instruction
 * (SDM 26.7.1.2). */
static inline void vmx_skip_bytes(uint64_t length)
{
	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + length);
	uint64_t blocking = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (__builtin_expect(blocking & BLOCKING_BY_STI_OR_MOV_SS, 0))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, blocking & ~BLOCKING_BY_STI_OR_MOV_SS);
}
/* The same for the instruction that exited, whose length the exit reports. */
static inline void vmx_skip_instruction(void)
{
	vmx_skip_bytes(vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}
void vmx_inject_exception(unsigned vector, bool has_error_code, uint32_t error_code);
/* Stops the VM, naming the exit, its qualification and the guest's RIP. */
enum exit_action vmx_stop_with_report(struct vcpu *vcpu, uint32_t reason, const char *why);
/* After a host NMI's exit: NMIs unblocked again, in kan and in the guest (vmx/nmi.c). */
void vmx_nmi_taken(void);

/* One handler per exit reason (exit_*.c). */
enum exit_action vmx_exit_cpuid(struct vcpu *vcpu);
enum exit_action vmx_exit_vmcall(struct vcpu *vcpu);
/* A #UD the guest raised (from vmx_exit_exception_nmi): AMD's VMMCALL is a hypercall too. */
enum exit_action vmx_exit_invalid_opcode(struct vcpu *vcpu);
enum exit_action vmx_exit_io(struct vcpu *vcpu);
enum exit_action vmx_exit_ept_violation(struct vcpu *vcpu);
enum exit_action vmx_exit_ept_misconfig(struct vcpu *vcpu);
enum exit_action vmx_exit_triple_fault(struct vcpu *vcpu);
enum exit_action vmx_exit_hlt(struct vcpu *vcpu);
enum exit_action vmx_exit_pause(struct vcpu *vcpu);
enum exit_action vmx_exit_preemption_timer(struct vcpu *vcpu);
enum exit_action vmx_exit_external_interrupt(struct vcpu *vcpu);
enum exit_action vmx_exit_exception_nmi(struct vcpu *vcpu);
enum exit_action vmx_exit_cr_access(struct vcpu *vcpu);
enum exit_action vmx_exit_msr_read(struct vcpu *vcpu);
enum exit_action vmx_exit_msr_write(struct vcpu *vcpu);
enum exit_action vmx_exit_undefined_opcode(struct vcpu *vcpu);
enum exit_action vmx_exit_general_protection(struct vcpu *vcpu);
enum exit_action vmx_exit_invd(struct vcpu *vcpu);
enum exit_action vmx_exit_dr_access(struct vcpu *vcpu);
enum exit_action vmx_exit_xsetbv(struct vcpu *vcpu);
enum exit_action vmx_exit_interrupt_window(struct vcpu *vcpu);

/* For VMs with a virtual interrupt controller (vm->has_pic): injects the highest pending
 * interrupt if the guest can take it now, else asks for an exit when it can. */
void vmx_deliver_interrupts(struct vcpu *vcpu);
/* An event whose delivery a VM exit interrupted goes in again on the next entry (SDM 27.2.4). */
void vmx_reinject_vectored_event(void);

#endif
