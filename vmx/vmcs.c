#include "vmx/vmcs.h"
#include "kernel/console.h"
#include "kernel/format.h"

void vmx_report_failure(const char *instruction, const char *operand, enum vmx_status status,
			void *caller)
{
	if (status == VMX_FAIL_VALID) {
		uint64_t error = 0;
		vmread_raw(VM_INSTRUCTION_ERROR, &error);
		printk("kan: %s %s failed: VM-instruction error %lu (%s), called from %p\n",
		       instruction, operand, error, vmx_instruction_error_name((uint32_t)error),
		       caller);
	} else {
		printk("kan: %s %s failed: VMfailInvalid (no current VMCS or a bad pointer), "
		       "called from %p\n",
		       instruction, operand, caller);
	}
}

void vmcs_report_failure(const char *instruction, enum vmcs_field field, enum vmx_status status,
			 uint64_t value, void *caller)
{
	char operand[64];
	ksnprintf(operand, sizeof(operand), "%s (0x%04x)", vmcs_field_name(field), field);
	vmx_report_failure(instruction, operand, status, caller);
	if (instruction[2] == 'W')
		printk("kan:   the value was 0x%lx\n", value);
}
