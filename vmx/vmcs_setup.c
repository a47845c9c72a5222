/*
 * A vCPU's VMCS, written top to bottom in the order of the SDM's checklist
 * (Vol. 3C, 26.2 controls, 26.3 guest state; host state per CPU below).
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/xstate.h"
#include "kernel/cpuid_policy.h"
#include "kernel/console.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/vcpu_backend.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

extern char vmx_exit_entry[]; /* vmx_entry.asm */

#define PAT_POWER_ON_DEFAULT 0x0007040600070406ull
#define AR_CODE64	     0xa09b /* present, code exec/read accessed, L=1, G=1 */
#define AR_DATA		     0xc093 /* present, data read/write accessed, D/B=1, G=1 */
#define AR_CODE32	     0xc09b /* present, code exec/read accessed, D/B=1, G=1 */
#define AR_CODE16	     0x009b
#define AR_DATA16	     0x0093
#define AR_TSS_BUSY	     0x008b
#define AR_LDT_UNUSABLE	     (AR_UNUSABLE | 0x82)

bool vmcs_write_host_state(void)
{
	bool ok = true;
	ok &= vmcs_write(HOST_CR0, read_cr0());
	ok &= vmcs_write(HOST_CR3, read_cr3());
	ok &= vmcs_write(HOST_CR4, read_cr4());
	ok &= vmcs_write(HOST_CS_SELECTOR, SEL_KERNEL_CODE);
	ok &= vmcs_write(HOST_SS_SELECTOR, SEL_KERNEL_DATA);
	ok &= vmcs_write(HOST_DS_SELECTOR, SEL_KERNEL_DATA);
	ok &= vmcs_write(HOST_ES_SELECTOR, SEL_KERNEL_DATA);
	ok &= vmcs_write(HOST_FS_SELECTOR, 0);
	ok &= vmcs_write(HOST_GS_SELECTOR, 0);
	ok &= vmcs_write(HOST_TR_SELECTOR, SEL_TSS);
	ok &= vmcs_write(HOST_FS_BASE, 0);
	ok &= vmcs_write(HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	ok &= vmcs_write(HOST_TR_BASE, cpu_tss_base());
	ok &= vmcs_write(HOST_GDTR_BASE, cpu_gdt_base());
	ok &= vmcs_write(HOST_IDTR_BASE, idt_base());
	ok &= vmcs_write(HOST_IA32_SYSENTER_CS, 0);
	ok &= vmcs_write(HOST_IA32_SYSENTER_ESP, 0);
	ok &= vmcs_write(HOST_IA32_SYSENTER_EIP, 0);
	ok &= vmcs_write(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	if (vmx_controls.exit & EXIT_LOAD_IA32_PAT)
		ok &= vmcs_write(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	ok &= vmcs_write(HOST_RIP, (uint64_t)vmx_exit_entry);
	return ok;
}

static bool write_controls(struct vcpu *vcpu, struct vmx_vcpu *vx)
{
	struct vmx_vm *vm = vcpu->vm->backend;
	bool ok = true;
	ok &= vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_controls.pin);
	ok &= vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_proc_controls(vcpu));
	uint32_t proc2 = vmx_proc2_controls(vcpu);
	ok &= vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
	if (proc2 & PROC2_PAUSE_LOOP_EXITING) {
		/* In TSC ticks (SDM 25.6.13): PAUSEs further apart than the gap are not one loop
		 * (a spin loop's turn is a few dozen ticks); a loop longer than the window exits,
		 * about a thousand turns, short against a slice and long against a lock held by a
		 * running sibling. */
		ok &= vmcs_write(PLE_GAP, 128);
		ok &= vmcs_write(PLE_WINDOW, 4096);
	}
	ok &= vmcs_write(VM_EXIT_CONTROLS, vmx_controls.exit);
	ok &= vmcs_write(VM_ENTRY_CONTROLS, vx->entry_controls);
	/* #MC: a machine check while a guest runs is the host's (vmx_exit_exception_nmi). #UD:
	 * it may be AMD's hypercall instruction, VMMCALL (vmx_exit_invalid_opcode). */
	ok &= vmcs_write(EXCEPTION_BITMAP, 1u << VECTOR_MC | 1u << VECTOR_UD);
	/* With bit 14 clear, a #PF exits when its error code does NOT match: mask = match = 0
	 * makes every one match, so none exits. Left unwritten, they are whatever the VMCS
	 * region held (SDM 25.2). */
	ok &= vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	ok &= vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	ok &= vmcs_write(TSC_OFFSET, 0); /* unused unless TSC offsetting is on: defined anyway */
	ok &= vmcs_write(CR3_TARGET_COUNT, 0);
	ok &= vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	ok &= vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write(VM_ENTRY_INTR_INFO, 0);
	ok &= vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
	ok &= vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
	ok &= vmcs_write(EPT_POINTER, vm->eptp);
	if (vmx_controls.proc2 & PROC2_ENABLE_VPID)
		ok &= vmcs_write(VIRTUAL_PROCESSOR_ID, vcpu->vm->id); /* 0 is the host's */
	/* The guest sees its own CR0/CR4 values; bits VT-x forces on stay hidden behind the
	 * shadows, and writing them exits (handled in exit_cr.c). */
	ok &= vmcs_write(CR0_GUEST_HOST_MASK,
			 vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1 | CR0_NE | CR0_CD | CR0_NW);
	/* CR4 bits of features the guest's CPUID does not offer fault (exit_cr.c); OSXSAVE
	 * exits too, so that kan knows what CPUID.1:ECX.OSXSAVE must say. */
	ok &= vmcs_write(CR4_GUEST_HOST_MASK,
			 vmx_caps.cr4_fixed0 | ~vmx_guest_cr4_allowed() | CR4_OSXSAVE);
	ok &= vmcs_write(VMCS_LINK_POINTER, ~0ull);
	return ok;
}

static bool write_segment(enum vmcs_field selector, uint16_t sel, uint64_t base, uint32_t limit,
			  uint32_t ar)
{
	/* Selector, limit, AR and base fields of one segment are at fixed strides. */
	unsigned i = (selector - GUEST_ES_SELECTOR) / 2;
	bool ok = true;
	ok &= vmcs_write(selector, sel);
	ok &= vmcs_write(GUEST_ES_BASE + 2 * i, base);
	ok &= vmcs_write(GUEST_ES_LIMIT + 2 * i, limit);
	ok &= vmcs_write(GUEST_ES_AR_BYTES + 2 * i, ar);
	return ok;
}

static bool write_guest_state(struct vcpu *vcpu, const struct vcpu_boot_state *b)
{
	bool ok = true;
	bool lm = b->mode == GUEST_MODE_LONG, pm = b->mode == GUEST_MODE_PROTECTED;
	uint64_t cr0 = lm   ? CR0_PE | (1ul << 1) | CR0_ET | CR0_NE | CR0_WP | CR0_PG
		       : pm ? CR0_PE | CR0_ET
			    : CR0_ET;
	uint64_t cr4 = lm ? CR4_PAE : 0;
	ok &= vmcs_write(GUEST_CR0, vmx_fixed_cr0(cr0, true));
	ok &= vmcs_write(CR0_READ_SHADOW, cr0);
	ok &= vmcs_write(GUEST_CR3, b->cr3);
	ok &= vmcs_write(GUEST_CR4, vmx_fixed_cr4(cr4));
	ok &= vmcs_write(CR4_READ_SHADOW, cr4);
	ok &= vmcs_write(GUEST_DR7, 0x400);
	ok &= vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	ok &= vmcs_write(GUEST_IA32_EFER, lm ? EFER_LME | EFER_LMA | EFER_NXE : 0);
	if (vmx_controls.entry & ENTRY_LOAD_IA32_PAT)
		ok &= vmcs_write(GUEST_IA32_PAT, PAT_POWER_ON_DEFAULT);
	ok &= vmcs_write(GUEST_SYSENTER_CS, 0);
	ok &= vmcs_write(GUEST_SYSENTER_ESP, 0);
	ok &= vmcs_write(GUEST_SYSENTER_EIP, 0);

	static const enum vmcs_field data_segments[] = { GUEST_DS_SELECTOR, GUEST_ES_SELECTOR,
							 GUEST_SS_SELECTOR, GUEST_FS_SELECTOR,
							 GUEST_GS_SELECTOR };
	if (lm) {
		ok &= write_segment(GUEST_CS_SELECTOR, b->cs, 0, 0xffffffff, AR_CODE64);
		for (unsigned i = 0; i < 5; i++)
			ok &= write_segment(data_segments[i], b->ds, 0, 0xffffffff, AR_DATA);
		ok &= write_segment(GUEST_TR_SELECTOR, b->tr, 0, 0x67, AR_TSS_BUSY);
	} else if (pm) {
		/* VM entry wants a usable TR even where the guest never loads one (SDM 27.3.1.2).
		 */
		ok &= write_segment(GUEST_CS_SELECTOR, b->cs, 0, 0xffffffff, AR_CODE32);
		for (unsigned i = 0; i < 5; i++)
			ok &= write_segment(data_segments[i], b->ds, 0, 0xffffffff, AR_DATA);
		ok &= write_segment(GUEST_TR_SELECTOR, b->tr, 0, 0x67, AR_TSS_BUSY);
	} else {
		/* An AP's start-up IPI names its segment; a real-mode guest's is 0. */
		ok &= write_segment(GUEST_CS_SELECTOR, b->cs, (uint64_t)b->cs << 4, 0xffff,
				    AR_CODE16);
		for (unsigned i = 0; i < 5; i++)
			ok &= write_segment(data_segments[i], 0, 0, 0xffff, AR_DATA16);
		ok &= write_segment(GUEST_TR_SELECTOR, 0, 0, 0xffff, AR_TSS_BUSY);
	}
	ok &= write_segment(GUEST_LDTR_SELECTOR, 0, 0, 0, AR_LDT_UNUSABLE);
	ok &= vmcs_write(GUEST_GDTR_BASE, b->gdt_base);
	ok &= vmcs_write(GUEST_GDTR_LIMIT, b->gdt_limit);
	ok &= vmcs_write(GUEST_IDTR_BASE, 0);
	ok &= vmcs_write(GUEST_IDTR_LIMIT, lm ? 0 : 0x3ff);

	ok &= vmcs_write(GUEST_RIP, b->rip);
	ok &= vmcs_write(GUEST_RSP, b->rsp);
	ok &= vmcs_write(GUEST_RFLAGS, 0x2);
	ok &= vmcs_write(GUEST_ACTIVITY_STATE, 0);
	ok &= vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	ok &= vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* Read by VM entry only with PAE paging (exit_cr.c loads them then), but never left
	 * to the VMCS region's old contents. */
	for (unsigned i = 0; i < 4; i++)
		ok &= vmcs_write(GUEST_PDPTE0 + 2 * i, 0);
	vcpu->regs.rdi = b->rdi;
	vcpu->regs.rsi = b->rsi;
	vcpu->regs.rax = b->rax;
	vcpu->regs.rbx = b->rbx;
	return ok;
}

/*
 * Writes a fresh VMCS for `boot` and leaves it clear, so that the CPU that runs the vCPU can
 * load it (SDM 24.11.1). Also used to reset a vCPU, on that CPU.
 */
static bool vmcs_init(struct vcpu *vcpu, struct vmx_vcpu *vx, const struct vcpu_boot_state *boot)
{
	vx->host_cpu = -1;
	vx->launched = false;
	vx->cr8 = 0;
	memset(vx->dr, 0, sizeof(vx->dr));
	vx->dr6 = 0xffff0ff0; /* its reset value */
	memset(vx->lazy_msr, 0, sizeof(vx->lazy_msr));
	vx->cr2 = 0;
	vcpu->xcr0 = XSTATE_X87;
	vcpu->osxsave = false;
	xstate_init_area(vcpu->xsave_area);
	/* Its old values must not be saved over the new ones. */
	vmx_drop_owner(this_cpu()->backend, vcpu);
	vx->entry_controls =
		vmx_controls.entry | (boot->mode == GUEST_MODE_LONG ? ENTRY_IA32E_MODE_GUEST : 0);
	enum vmx_status s = vmclear(vx->vmcs_phys);
	memset(phys_to_ptr(vx->vmcs_phys), 0, PAGE_SIZE);
	*(uint32_t *)phys_to_ptr(vx->vmcs_phys) = vmx_caps.revision;
	if (s == VMX_OK)
		s = vmptrld(vx->vmcs_phys);
	if (s != VMX_OK) {
		vmx_report_failure("VMCLEAR/VMPTRLD", "of a vCPU's VMCS", s,
				   __builtin_return_address(0));
		return false;
	}
	bool ok = write_controls(vcpu, vx) && write_guest_state(vcpu, boot);
	s = vmclear(vx->vmcs_phys);
	struct vmx_pcpu *pc = this_cpu()->backend;
	pc->current_vmcs = 0;
	if (s != VMX_OK) {
		vmx_report_failure("VMCLEAR", "of a vCPU's VMCS", s, __builtin_return_address(0));
		return false;
	}
	if (!ok)
		printk("kan: vm %s: its VMCS could not be written (see above)\n",
		       vcpu->vm->config.name);
	return ok;
}

bool vmx_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	uint64_t xsave_bytes = (xstate.size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t state = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	uint64_t vmcs = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	uint64_t xsave = phys_alloc(xsave_bytes, PAGE_SIZE);
	if (!state || !vmcs || !xsave) {
		printk("kan: vm %s: no memory for its VMCS and register state\n",
		       vcpu->vm->config.name);
		if (state)
			phys_free(state, PAGE_SIZE);
		if (vmcs)
			phys_free(vmcs, PAGE_SIZE);
		if (xsave)
			phys_free(xsave, xsave_bytes);
		return false;
	}
	struct vmx_vcpu *vx = phys_to_ptr(state);
	vx->vmcs_phys = vmcs;
	vcpu->xsave_area = phys_to_ptr(xsave);
	/* VMCLEAR wants a VMCS with its revision identifier in place (SDM 31.3). */
	*(uint32_t *)phys_to_ptr(vmcs) = vmx_caps.revision;
	if (!vmcs_init(vcpu, vx, boot)) {
		phys_free(vmcs, PAGE_SIZE);
		phys_free(state, PAGE_SIZE);
		phys_free(xsave, xsave_bytes);
		vcpu->xsave_area = NULL;
		return false;
	}
	vcpu->backend = vx;
	vcpu->vm->kan_bytes += 2 * PAGE_SIZE + xsave_bytes;
	return true;
}

bool vmx_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	return vmcs_init(vcpu, vcpu->backend, boot);
}

void vmx_vcpu_unload(struct vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->backend;
	/* VMCLEAR writes what this CPU cached of the VMCS back and makes it loadable anywhere
	 * (SDM 25.11.3); it also clears the launch state. */
	enum vmx_status s = vmclear(vx->vmcs_phys);
	if (s != VMX_OK)
		vmx_report_failure("VMCLEAR", "of a vCPU's VMCS", s, __builtin_return_address(0));
	struct vmx_pcpu *pc = this_cpu()->backend;
	if (pc->current_vmcs == vx->vmcs_phys)
		pc->current_vmcs = 0;
	vmx_release_owner(pc, vcpu);
	vx->launched = false;
	vx->host_cpu = -1; /* the next CPU writes its own host state and flushes its EPT TLB */
}

void vmx_vcpu_destroy(struct vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->backend;
	enum vmx_status s = vmclear(vx->vmcs_phys);
	if (s != VMX_OK)
		vmx_report_failure("VMCLEAR", "of a destroyed vCPU's VMCS", s,
				   __builtin_return_address(0));
	struct vmx_pcpu *pc = this_cpu()->backend;
	if (pc->current_vmcs == vx->vmcs_phys)
		pc->current_vmcs = 0;
	vmx_drop_owner(pc, vcpu);
	phys_free(vx->vmcs_phys, PAGE_SIZE);
	phys_free((uint64_t)vx, PAGE_SIZE);
	phys_free((uint64_t)vcpu->xsave_area,
		  (xstate.size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1));
	vcpu->xsave_area = NULL;
	vcpu->backend = NULL;
}
