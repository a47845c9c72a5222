#include "vmx/vmcs_dump.h"
#include "kernel/console.h"
#include "vmx/vmcs.h"

static const enum vmcs_field dumped_fields[] = {
	PIN_BASED_VM_EXEC_CONTROL,
	CPU_BASED_VM_EXEC_CONTROL,
	SECONDARY_VM_EXEC_CONTROL,
	VM_EXIT_CONTROLS,
	VM_ENTRY_CONTROLS,
	VM_ENTRY_INTR_INFO,
	EPT_POINTER,
	GUEST_CR0,
	GUEST_CR3,
	GUEST_CR4,
	CR0_READ_SHADOW,
	CR4_READ_SHADOW,
	GUEST_IA32_EFER,
	GUEST_RIP,
	GUEST_RSP,
	GUEST_RFLAGS,
	GUEST_CS_SELECTOR,
	GUEST_CS_BASE,
	GUEST_CS_LIMIT,
	GUEST_CS_AR_BYTES,
	GUEST_SS_SELECTOR,
	GUEST_SS_BASE,
	GUEST_SS_LIMIT,
	GUEST_SS_AR_BYTES,
	GUEST_DS_SELECTOR,
	GUEST_DS_BASE,
	GUEST_DS_LIMIT,
	GUEST_DS_AR_BYTES,
	GUEST_ES_SELECTOR,
	GUEST_ES_BASE,
	GUEST_ES_LIMIT,
	GUEST_ES_AR_BYTES,
	GUEST_FS_SELECTOR,
	GUEST_FS_BASE,
	GUEST_FS_LIMIT,
	GUEST_FS_AR_BYTES,
	GUEST_GS_SELECTOR,
	GUEST_GS_BASE,
	GUEST_GS_LIMIT,
	GUEST_GS_AR_BYTES,
	GUEST_TR_SELECTOR,
	GUEST_TR_BASE,
	GUEST_TR_LIMIT,
	GUEST_TR_AR_BYTES,
	GUEST_LDTR_SELECTOR,
	GUEST_LDTR_BASE,
	GUEST_LDTR_LIMIT,
	GUEST_LDTR_AR_BYTES,
	GUEST_GDTR_BASE,
	GUEST_GDTR_LIMIT,
	GUEST_IDTR_BASE,
	GUEST_IDTR_LIMIT,
	GUEST_DR7,
	GUEST_IA32_DEBUGCTL,
	GUEST_ACTIVITY_STATE,
	GUEST_INTERRUPTIBILITY_INFO,
	GUEST_PENDING_DBG_EXCEPTIONS,
	VMCS_LINK_POINTER,
};

void vmcs_dump(struct vcpu *vcpu)
{
	printk("kan: vm %s: VMCS:\n", vcpu->vm->config.name);
	for (unsigned i = 0; i < sizeof(dumped_fields) / sizeof(dumped_fields[0]); i++)
		printk("kan:   %-30s 0x%lx\n", vmcs_field_name(dumped_fields[i]),
		       vmcs_read(dumped_fields[i]));
	const struct guest_regs *r = &vcpu->regs;
	printk("kan:   RAX %lx RBX %lx RCX %lx RDX %lx RSI %lx RDI %lx RBP %lx\n", r->rax, r->rbx,
	       r->rcx, r->rdx, r->rsi, r->rdi, r->rbp);
}
