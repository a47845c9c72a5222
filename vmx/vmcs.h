/* Checked access to the current VMCS: every failure names the field, the error and the caller. */
#ifndef KAN_VMX_VMCS_H
#define KAN_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_defs.h"
#include "vmx/vmx_insn.h"

/* The cold half of vmcs_read/vmcs_write: says which field failed, why, and where. */
void vmcs_report_failure(const char *instruction, enum vmcs_field field, enum vmx_status status,
			 uint64_t value, void *caller);

/* Returns false (and prints why) when the VMWRITE fails; setup code does ok &= vmcs_write().
 * Inline, because the exit path uses it: the check costs one branch. */
static inline __attribute__((always_inline)) bool vmcs_write(enum vmcs_field field, uint64_t value)
{
	enum vmx_status s = vmwrite_raw(field, value);
	if (__builtin_expect(s == VMX_OK, 1))
		return true;
	vmcs_report_failure("VMWRITE", field, s, value, __builtin_return_address(0));
	return false;
}

/* Returns 0 (and prints why) when the VMREAD fails. */
static inline __attribute__((always_inline)) uint64_t vmcs_read(enum vmcs_field field)
{
	uint64_t value;
	enum vmx_status s = vmread_raw(field, &value);
	if (__builtin_expect(s == VMX_OK, 1))
		return value;
	vmcs_report_failure("VMREAD", field, s, 0, __builtin_return_address(0));
	return 0;
}
/* Prints a failed VMX instruction: what, on which operand, the VM-instruction error by name. */
void vmx_report_failure(const char *instruction, const char *operand, enum vmx_status status,
			void *caller);

const char *vmcs_field_name(enum vmcs_field field);
const char *vmx_instruction_error_name(uint32_t error);
const char *vmx_exit_reason_name(uint32_t basic_reason);

#endif
