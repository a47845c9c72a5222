/* kan's self-tests that need VT-x (selftest= on kan's command line). */
#ifndef KAN_VMX_SELFTEST_H
#define KAN_VMX_SELFTEST_H

#include <stdbool.h>

#include "kernel/selftest.h"
#include "kernel/vm.h"

/* selftest=entry-failure: spoils the first VM's first VM entry. */
void vmx_selftest_spoil_entry(struct vcpu *vcpu, bool launched);
/* Just before a VM entry. */
static inline void vmx_selftest_before_entry(struct vcpu *vcpu, bool launched)
{
	if (selftest_active() == SELFTEST_ENTRY_FAILURE)
		vmx_selftest_spoil_entry(vcpu, launched);
}

#endif
