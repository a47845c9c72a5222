/* Intel VT-x as kan's backend (kernel/vcpu_backend.h). */
#include "kernel/vcpu_backend.h"
#include "vmx/vmx_cpu.h"

const struct vcpu_backend vmx_backend = {
	.name = "VT-x",
	.operation = "VMX root operation",
	.present = vmx_present,
	.probe = vmx_probe,
	.why_not = vmx_why_not,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.vm_create = vmx_vm_create,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_unload = vmx_vcpu_unload,
	.vm_destroy = vmx_vm_destroy,
	.vcpu_save = vmx_vcpu_save,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_run = vmx_vcpu_run,
	.exit_name = vmx_exit_name,
};
