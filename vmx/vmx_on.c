/* Entering VMX root operation on one CPU (SDM Vol. 3C, 24.7). */
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/vcpu_backend.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

bool vmx_cpu_enable(unsigned cpu)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		/* Firmware left it open: enable VMX and lock, as firmware normally would. */
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	} else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		printk("kan: cpu %u: IA32_FEATURE_CONTROL is locked with VMX off (0x%lx)\n", cpu,
		       fc);
		return false;
	}
	/* CR0.NE and CR4.VMXE among others must be set in VMX operation (SDM 24.8). */
	write_cr0(vmx_fixed_cr0(read_cr0(), false));
	write_cr4(vmx_fixed_cr4(read_cr4() | CR4_VMXE));

	uint64_t state = phys_alloc(sizeof(struct vmx_pcpu), 64);
	struct vmx_pcpu *p = state ? phys_to_ptr(state) : NULL;
	if (p)
		p->vmxon_phys = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p || !p->vmxon_phys) {
		printk("kan: cpu %u: no memory for the VMXON region\n", cpu);
		return false;
	}
	*(uint32_t *)phys_to_ptr(p->vmxon_phys) = vmx_caps.revision;
	enum vmx_status s = vmxon(p->vmxon_phys);
	if (s != VMX_OK) {
		vmx_report_failure("VMXON", "of this CPU's VMXON region", s,
				   __builtin_return_address(0));
		return false;
	}
	cpus[cpu].backend = p;
	printk("kan: cpu %u: in VMX root operation\n", cpu);
	return true;
}

bool vmx_cpu_disable(unsigned cpu)
{
	struct vmx_pcpu *p = cpus[cpu].backend;
	if (!p)
		return false;
	/* VMCLEAR writes the current VMCS back to memory; VMXOFF then leaves root operation
	 * (SDM 24.11.3: software should VMCLEAR before VMXOFF). */
	if (p->current_vmcs)
		vmclear(p->current_vmcs);
	p->current_vmcs = 0;
	bool off = vmxoff() == VMX_OK;
	if (off) {
		write_cr4(read_cr4() & ~CR4_VMXE);
		cpus[cpu].backend = NULL;
	}
	return off;
}
