/* kan's self-tests that need VT-x (selftest= on kan's command line). */
#ifndef KAN_VMX_SELFTEST_H
#define KAN_VMX_SELFTEST_H

#include <stdbool.h>

#include "kernel/vm.h"

/* Just before a VM entry: selftest=entry-failure spoils the first VM's first one. */
void vmx_selftest_before_entry(struct vcpu *vcpu, bool launched);

#endif
