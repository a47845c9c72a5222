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

static void report_field_failure(const char *instruction, enum vmcs_field field,
				 enum vmx_status status, void *caller)
{
	char operand[64];
	ksnprintf(operand, sizeof(operand), "%s (0x%04x)", vmcs_field_name(field), field);
	vmx_report_failure(instruction, operand, status, caller);
}

bool vmcs_write(enum vmcs_field field, uint64_t value)
{
	enum vmx_status s = vmwrite_raw(field, value);
	if (s == VMX_OK)
		return true;
	report_field_failure("VMWRITE", field, s, __builtin_return_address(0));
	printk("kan:   the value was 0x%lx\n", value);
	return false;
}

uint64_t vmcs_read(enum vmcs_field field)
{
	uint64_t value;
	enum vmx_status s = vmread_raw(field, &value);
	if (s == VMX_OK)
		return value;
	report_field_failure("VMREAD", field, s, __builtin_return_address(0));
	return 0;
}
