/* Not written yet: the AMD-V backend refuses after its probe. */
#include "kernel/console.h"
#include "svm/svm_cpu.h"

bool svm_cpu_enable(unsigned cpu)
{
	printk("kan: cpu %u: AMD-V backend not written yet\n", cpu);
	return false;
}
bool svm_cpu_disable(unsigned cpu)
{
	(void)cpu;
	return false;
}
bool svm_vm_create(struct vm *vm)
{
	(void)vm;
	return false;
}
bool svm_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	(void)vcpu, (void)boot;
	return false;
}
bool svm_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	(void)vcpu, (void)boot;
	return false;
}
void svm_vm_destroy(struct vm *vm)
{
	(void)vm;
}
enum vcpu_event svm_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc)
{
	(void)vcpu, (void)slice_tsc;
	return VCPU_EVENT_ENDED;
}
const char *svm_exit_name(unsigned i)
{
	(void)i;
	return 0;
}
