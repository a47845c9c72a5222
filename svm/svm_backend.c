/* AMD-V as kan's backend (kernel/vcpu_backend.h). */
#include "kernel/vcpu_backend.h"
#include "svm/svm_cpu.h"

bool svm_lazy_tsc_aux;

const struct vcpu_backend svm_backend = {
	.name = "AMD-V",
	.operation = "SVM operation",
	.present = svm_present,
	.probe = svm_probe,
	.why_not = svm_why_not,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.vm_create = svm_vm_create,
	.vcpu_create = svm_vcpu_create,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_unload = svm_vcpu_unload,
	.vm_destroy = svm_vm_destroy,
	.vcpu_save = svm_vcpu_save,
	.vcpu_load = svm_vcpu_load,
	.vcpu_run = svm_vcpu_run,
	.exit_name = svm_exit_name,
};
