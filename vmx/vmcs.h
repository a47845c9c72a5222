/* Checked access to the current VMCS: every failure names the field, the error and the caller. */
#ifndef KAN_VMX_VMCS_H
#define KAN_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_defs.h"
#include "vmx/vmx_insn.h"

/* Returns false (and prints why) when the VMWRITE fails; setup code does ok &= vmcs_write(). */
bool vmcs_write(enum vmcs_field field, uint64_t value);
/* Returns 0 (and prints why) when the VMREAD fails. */
uint64_t vmcs_read(enum vmcs_field field);
/* Prints a failed VMX instruction: what, on which operand, the VM-instruction error by name. */
void vmx_report_failure(const char *instruction, const char *operand, enum vmx_status status,
			void *caller);

const char *vmcs_field_name(enum vmcs_field field);
const char *vmx_instruction_error_name(uint32_t error);
const char *vmx_exit_reason_name(uint32_t basic_reason);

#endif
