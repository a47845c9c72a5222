/* Running a vCPU: enter, take the exit, look up its handler, and again until the scheduler
 * must decide. This loop is the exit fast path: keep it short. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/xstate.h"
#include "kernel/vintr.h"
#include "kernel/spec_policy.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_dump.h"
#include "vmx/selftest.h"
#include "vmx/vmx_cpu.h"
#include "vmx/vmx_insn.h"

/* vmx_entry.asm: runs the guest until vmx_exit_dispatch returns non-zero (an exit_action),
 * or returns VMX_ENTER_FAIL_* when VMLAUNCH/VMRESUME itself fails. */
int vmx_enter(struct vcpu *vcpu, int launched);
#define VMX_ENTER_FAIL_INVALID (-1)
#define VMX_ENTER_FAIL_VALID   (-2)
/* KERNEL_GS_BASE first: VMX_LAZY_KERNEL_GS_BASE. */
const uint32_t vmx_lazy_msrs[VMX_LAZY_MSRS] = {
	MSR_IA32_KERNEL_GS_BASE, MSR_IA32_STAR,	 MSR_IA32_LSTAR,
	MSR_IA32_CSTAR,		 MSR_IA32_FMASK, MSR_IA32_TSC_AUX,
};
unsigned vmx_lazy_msr_count = VMX_LAZY_MSRS - 1; /* TSC_AUX too where it exists */

int vmx_lazy_msr_index(uint32_t msr)
{
	for (unsigned i = 0; i < vmx_lazy_msr_count; i++)
		if (vmx_lazy_msrs[i] == msr)
			return (int)i;
	return -1;
}

/*
 * The state VT-x leaves alone stays in the CPU while kan runs, because kan never uses it:
 * SYSCALL/SWAPGS MSRs, CR2 and the extended state. It changes hands only here, when another
 * vCPU is about to run on this CPU; the previous owner's values are saved first. Between two
 * different VMs the CPU's indirect-branch predictions are dropped too (spec_policy).
 */
void vmx_switch_owner(struct vmx_pcpu *pc, struct vcpu *vcpu)
{
	struct vcpu *old = pc->owner;
	if (old == vcpu)
		return;
	struct vmx_vcpu *vx = vcpu->backend, *ox = old ? old->backend : NULL;
	/* Every guest RDMSR/WRMSR exits, and the WRMSR exit keeps lazy_msr[] current; only
	 * SWAPGS changes one of them (KERNEL_GS_BASE) unseen. So one RDMSR saves the old
	 * owner's, and only the values that differ are written. */
	if (!ox) {
		for (unsigned i = 0; i < vmx_lazy_msr_count; i++)
			wrmsr(vmx_lazy_msrs[i], vx->lazy_msr[i]);
	} else {
		ox->lazy_msr[VMX_LAZY_KERNEL_GS_BASE] = rdmsr(MSR_IA32_KERNEL_GS_BASE);
		/* Slots past vmx_lazy_msr_count stay 0 in every vCPU, so they never differ. */
#pragma GCC unroll 6 /* VMX_LAZY_MSRS: three instructions each */
		for (unsigned i = 0; i < VMX_LAZY_MSRS; i++)
			if (ox->lazy_msr[i] != vx->lazy_msr[i])
				wrmsr(vmx_lazy_msrs[i], vx->lazy_msr[i]);
	}
	if (ox)
		ox->cr2 = read_cr2();
	write_cr2(vx->cr2);
	xstate_switch(old ? old->xsave_area : NULL, vcpu->xsave_area, vcpu->xcr0);
	if (!old || old->vm != vcpu->vm)
		spec_on_vm_switch();
	pc->owner = vcpu;
}

void vmx_drop_owner(struct vmx_pcpu *pc, struct vcpu *vcpu)
{
	if (pc && pc->owner == vcpu)
		pc->owner = NULL;
}

void vmx_release_owner(struct vmx_pcpu *pc, struct vcpu *vcpu)
{
	if (!pc || pc->owner != vcpu)
		return;
	struct vmx_vcpu *vx = vcpu->backend;
	/* What vmx_switch_owner would save for the next owner: the vCPU may run elsewhere. */
	vx->lazy_msr[VMX_LAZY_KERNEL_GS_BASE] = rdmsr(MSR_IA32_KERNEL_GS_BASE);
	vx->cr2 = read_cr2();
	xstate_save(vcpu->xsave_area);
	pc->owner = NULL;
}

/* Makes the vCPU's VMCS current on this CPU, with this CPU's host state in it. */
static bool vmx_load(struct vcpu *vcpu, struct vmx_vcpu *vx)
{
	struct cpu *c = this_cpu();
	struct vmx_pcpu *pc = c->backend;
	if (pc->current_vmcs == vx->vmcs_phys)
		return true;
	enum vmx_status s = vmptrld(vx->vmcs_phys);
	if (s != VMX_OK) {
		vmx_report_failure("VMPTRLD", "of the vCPU's VMCS", s, __builtin_return_address(0));
		vm_crash(vcpu->vm, "its VMCS could not be loaded (VMPTRLD failed)");
		return false;
	}
	pc->current_vmcs = vx->vmcs_phys;
	vmx_switch_owner(pc, vcpu);
	if (vx->host_cpu != (int)c->index) {
		if (!vmcs_write_host_state()) {
			vm_crash(vcpu->vm, "its VMCS host state could not be written");
			return false;
		}
		vx->host_cpu = (int)c->index;
		/* Drop whatever this CPU cached for the EPT before (SDM 29.4.3.1). */
		struct vmx_vm *vm = vcpu->vm->backend;
		s = invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
		if (s != VMX_OK)
			s = invept(INVEPT_ALL_CONTEXTS, 0);
		if (s != VMX_OK)
			vmx_report_failure("INVEPT", "of the VM's EPT", s,
					   __builtin_return_address(0));
	}
	return true;
}

static enum vcpu_event entry_failed(struct vcpu *vcpu, struct vmx_vcpu *vx, int status)
{
	const char *instruction = vx->launched ? "VMRESUME" : "VMLAUNCH";
	if (status == VMX_ENTER_FAIL_VALID || status == VMX_ENTER_FAIL_INVALID) {
		uint32_t error = status == VMX_ENTER_FAIL_VALID
					 ? (uint32_t)vmcs_read(VM_INSTRUCTION_ERROR)
					 : 0;
		printk("kan: vm %s: VM-entry failed: %s: VM-instruction error %u (%s)\n",
		       vcpu->vm->config.name, instruction, error,
		       status == VMX_ENTER_FAIL_VALID ? vmx_instruction_error_name(error)
						      : "VMfailInvalid: no current VMCS");
	} else {
		uint32_t basic = (uint32_t)vmcs_read(VM_EXIT_REASON) & VMX_EXIT_REASON_BASIC_MASK;
		printk("kan: vm %s: VM-entry failed: %s: exit reason %u (%s), qualification %lu\n",
		       vcpu->vm->config.name, instruction, basic, vmx_exit_reason_name(basic),
		       vmcs_read(EXIT_QUALIFICATION));
	}
	vmcs_dump(vcpu);
	vm_crash(vcpu->vm, "VM-entry failed (the VMCS dump above shows the state kan gave it)");
	return VCPU_EVENT_ENDED;
}

void vmx_arm_slice_timer(struct vcpu *vcpu, struct vmx_vcpu *vx, uint64_t now)
{
	uint64_t end = vx->slice_end;
	if (vintr_present(vcpu)) {
		uint64_t tick =
			vintr_next_event(vcpu); /* be back for the guest's next timer tick */
		if (tick < end)
			end = tick;
	}
	vx->timer_end = end;
	uint64_t ticks = end > now ? end - now : 0;
	if (vmx_controls.lapic_slices) {
		uint64_t us = time_tsc_to_us(ticks);
		lapic_timer_oneshot(us ? us : 1); /* vmx_exit_external_interrupt ends the slice */
	} else {
		vmx_set_preemption_timer(ticks);
	}
}

enum vcpu_event vmx_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc)
{
	struct vmx_vcpu *vx = vcpu->backend;
	if (!vmx_load(vcpu, vx))
		return VCPU_EVENT_ENDED;
	/* The VM's vCPUs share its VPID: another one's linear translations must go. */
	if (vcpu->vm->vcpu_count > 1 && (vmx_controls.proc2 & PROC2_ENABLE_VPID) &&
	    vcpu_tlb_stale(vcpu, this_cpu()->index) &&
	    invvpid(INVVPID_SINGLE_CONTEXT, (uint16_t)vcpu->vm->id) != VMX_OK)
		invvpid(INVVPID_ALL_CONTEXTS, 0);
	uint64_t now = rdtsc();
	vx->slice_end = now + slice_tsc;
	if (__builtin_expect(vintr_present(vcpu), 0)) {
		vmx_deliver_interrupts(vcpu);
		if (!vintr_ticks_in_slice(vcpu)) { /* the slice ends at the next tick */
			uint64_t tick = vintr_next_event(vcpu);
			if (tick > now && tick - now < slice_tsc)
				vx->slice_end = tick;
		}
		vmx_arm_slice_timer(vcpu, vx, now);
	} else if (vmx_controls.lapic_slices) {
		uint64_t us = time_tsc_to_us(slice_tsc);
		lapic_timer_oneshot(us ? us : 1); /* vmx_exit_external_interrupt ends the slice */
	} else {
		vmx_set_preemption_timer(slice_tsc);
	}
	vmx_selftest_before_entry(vcpu, vx->launched);
	spec_before_entry();
	int result = vmx_enter(vcpu, vx->launched);
	if (vmx_controls.lapic_slices)
		lapic_timer_oneshot(0); /* a slice that ended early leaves no tick for the next */
	if (result < 0 || result == VMX_EXIT_ENTRY_FAILED)
		return entry_failed(vcpu, vx, result);
	switch ((enum exit_action)result) {
	case EXIT_PREEMPT:
		if (!vmx_interrupts_held)
			vmx_held_interrupts_note();
		return VCPU_EVENT_PREEMPTED;
	case EXIT_YIELD:
		return VCPU_EVENT_YIELDED;
	case EXIT_HALT:
		return VCPU_EVENT_HALTED;
	default:
		return VCPU_EVENT_ENDED;
	}
}
