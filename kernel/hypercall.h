/* The paravirtual interface: hypercalls a guest makes with VMCALL (ABI in kan_guest.h). */
#ifndef KAN_KERNEL_HYPERCALL_H
#define KAN_KERNEL_HYPERCALL_H

#include "kernel/vm.h"

enum hypercall_next { HYPERCALL_RESUME, HYPERCALL_YIELD, HYPERCALL_ENDED };

/* Reads the number and arguments from vcpu->regs, puts the result in RAX. */
enum hypercall_next hypercall_dispatch(struct vcpu *vcpu);

#endif
