/* The VMCS of a vCPU printed field by field, for VM-entry failures and unexpected exits. */
#ifndef KAN_VMX_VMCS_DUMP_H
#define KAN_VMX_VMCS_DUMP_H

#include "kernel/vm.h"

void vmcs_dump(struct vcpu *vcpu);

#endif
