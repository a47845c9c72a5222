/*
 * The small interface through which kernel/ runs virtual CPUs without knowing how.
 * vmx/ implements it with Intel VT-x; nothing in kernel/ names a VMCS field.
 */
#ifndef KAN_KERNEL_VCPU_BACKEND_H
#define KAN_KERNEL_VCPU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vm.h"

/* How the guest starts: filled in by kernel/guest_boot.c, applied by the backend. */
enum guest_mode { GUEST_MODE_REAL, GUEST_MODE_LONG };

struct vcpu_boot_state {
	enum guest_mode mode;
	uint64_t rip, rsp, rdi, rsi;
	uint64_t cr3;	   /* long mode only */
	uint64_t gdt_base; /* long mode only */
	uint16_t gdt_limit;
	uint16_t cs, ds, tr; /* long mode: selectors of the GDT at gdt_base */
};

/* Why backend_vcpu_run returned to the scheduler. */
enum vcpu_event {
	VCPU_EVENT_PREEMPTED, /* its time slice is used up */
	VCPU_EVENT_YIELDED,   /* it gave the CPU away (hypercall, PAUSE loop) */
	VCPU_EVENT_HALTED,    /* HLT: nothing to do until an interrupt */
	VCPU_EVENT_ENDED,     /* the VM exited or was stopped: see vm->state */
};

/* Once, on the boot CPU: check the hardware, print what it offers; false if kan can't run. */
bool backend_probe(void);
/* After backend_probe returned false: why, in a few words naming what is missing. */
const char *backend_why_not(void);
/* On every CPU: turn virtualization on. False (with the reason printed) on failure. */
bool backend_cpu_enable(unsigned cpu);
/* On this CPU, at the end: leave virtualization (VT-x: VMXOFF, so INIT and a reset reach the
 * CPU again). Prints nothing: it may run in an NMI. False if the CPU was not in it. */
bool backend_cpu_disable(unsigned cpu);
/* Per VM: its address space (guest-physical -> host-physical for its RAM only). */
bool backend_vm_create(struct vm *vm);
/* Per vCPU: its state, starting as `boot` describes. */
bool backend_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
/* On the vCPU's CPU: back to the state `boot` describes, as if just created. */
bool backend_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
/* On the VM's CPU: frees everything backend_vm_create and backend_vcpu_create took. */
void backend_vm_destroy(struct vm *vm);
/* Runs the vCPU on this CPU until something the scheduler must decide happens. */
enum vcpu_event backend_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc);
/* The backend's name for exit counter i, or NULL if it has none. */
const char *backend_exit_name(unsigned i);

#endif
