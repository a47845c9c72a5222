/*
 * The small interface through which kernel/ runs virtual CPUs without knowing how.
 * vmx/ implements it with Intel VT-x and svm/ with AMD-V; backend_probe picks the one this CPU
 * has. Nothing in kernel/ names a VMCS or VMCB field: every policy (CPUID, MSRs, ports,
 * hypercalls, the lifecycle, the scheduler) is kernel/'s and shared by both.
 */
#ifndef KAN_KERNEL_VCPU_BACKEND_H
#define KAN_KERNEL_VCPU_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/vm.h"

/* How the guest starts: filled in by kernel/guest_boot.c, applied by the backend. */
/* GUEST_MODE_PROTECTED: 32-bit protected mode, paging off, flat 4 GiB code (cs) and data (ds)
 * segments of the GDT at gdt_base, IF=0: the Multiboot specification's entry state (3.2). */
enum guest_mode { GUEST_MODE_REAL, GUEST_MODE_PROTECTED, GUEST_MODE_LONG };

struct vcpu_boot_state {
	enum guest_mode mode;
	uint64_t rip, rsp, rdi, rsi;
	uint64_t rax, rbx; /* the Multiboot magic and information address */
	uint64_t cr3;	   /* long mode only */
	uint64_t gdt_base; /* long and protected mode */
	uint16_t gdt_limit;
	uint16_t cs, ds, tr; /* long and protected mode: selectors of the GDT at gdt_base */
};

/* A segment register with its hidden part. Attributes in the descriptor's order: bits 0-7
 * type, S, DPL, P (descriptor bits 40-47), bits 8-11 AVL, L, D/B, G (52-55); bit 16 unusable. */
struct vcpu_segment {
	uint16_t selector;
	uint32_t attributes, limit;
	uint64_t base;
};
#define VCPU_SEGMENT_UNUSABLE (1u << 16)
enum vcpu_segment_index {
	SEG_ES,
	SEG_CS,
	SEG_SS,
	SEG_DS,
	SEG_FS,
	SEG_GS,
	SEG_LDTR,
	SEG_TR,
	SEG_COUNT
};

/* Everything a vCPU needs to continue exactly where it was, in no backend's format: what
 * vcpu_save takes from a stopped vCPU and vcpu_load gives a fresh one (kernel/snapshot.c). */
struct vcpu_snapshot {
	struct guest_regs regs; /* RSP is in rsp below */
	uint64_t rip, rsp, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer; /* CR0/CR4 as the guest sees them */
	uint8_t cr8;
	uint64_t xcr0;
	bool osxsave;
	uint64_t dr[4], dr6, dr7;
	struct vcpu_segment seg[SEG_COUNT];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
	uint64_t pdpte[4]; /* PAE paging's, as VT-x holds them (0 elsewhere) */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux, pat;
	/* What the guest's RDTSC returned at the save: a load continues its TSC from there
	 * (the new vCPU's TSC offset), so that a restored guest sees no jump in time. */
	uint64_t guest_tsc;
	/* An event kan was about to inject (the VT-x VM-entry / AMD-V EVENTINJ format: vector,
	 * type << 8, error code valid bit 11, valid bit 31), and its error code. */
	uint32_t event, event_error;
	bool interrupt_shadow; /* after STI or MOV SS: no interrupt before the next instruction */
	bool nmi_blocked;
	/* Points to xstate.size bytes (the caller's): the x87/SSE/AVX state, XSAVE layout. */
	void *xsave;
};

/* Why backend_vcpu_run returned to the scheduler. */
enum vcpu_event {
	VCPU_EVENT_PREEMPTED, /* its time slice is used up */
	VCPU_EVENT_YIELDED,   /* it gave the CPU away (hypercall, PAUSE loop) */
	VCPU_EVENT_HALTED,    /* HLT: nothing to do until an interrupt */
	VCPU_EVENT_ENDED,     /* the VM exited or was stopped: see vm->state */
};

/* One hardware technique. Each backend defines one of these (vmx/, svm/). */
struct vcpu_backend {
	const char *name;      /* "VT-x", "AMD-V": how kan's lines name it */
	const char *operation; /* what a CPU is in while it is on: "VMX root operation" */
	bool (*present)(void); /* the CPU claims the technique (a CPUID bit); says nothing */
	/* Once, on the boot CPU: check the hardware, print what it offers; false if kan can't
	 * run, with why_not() naming what is missing in a few words. */
	bool (*probe)(void);
	const char *(*why_not)(void);
	/* On every CPU: turn virtualization on. False (with the reason printed) on failure. */
	bool (*cpu_enable)(unsigned cpu);
	/* On this CPU, at the end: leave virtualization, so that INIT and a reset reach the CPU
	 * again. Prints nothing: it may run in an NMI. False if the CPU was not in it. */
	bool (*cpu_disable)(unsigned cpu);
	/* Per VM: its address space (guest-physical -> host-physical for its RAM only). */
	bool (*vm_create)(struct vm *vm);
	/* Per vCPU: its state, starting as `boot` describes. */
	bool (*vcpu_create)(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
	/* On the vCPU's CPU: back to the state `boot` describes, as if just created. */
	bool (*vcpu_reset)(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
	/* On the vCPU's CPU, when it is not in the guest: this CPU lets go of the vCPU (VT-x:
	 * VMCLEAR), so that any CPU may then reset it (vcpu_reset) or free it (vm_destroy). */
	void (*vcpu_unload)(struct vcpu *vcpu);
	/* On the VM's home CPU, its other vCPUs unloaded: frees everything vm_create and
	 * vcpu_create took. */
	void (*vm_destroy)(struct vm *vm);
	/* On the vCPU's CPU, the vCPU not in the guest: its whole state into `out` (whose
	 * xsave points to room for it); the vCPU is unchanged and may run on. */
	void (*vcpu_save)(struct vcpu *vcpu, struct vcpu_snapshot *out);
	/* On the CPU of a vCPU just created (never run): it takes the state `in` describes,
	 * its TSC continuing from in->guest_tsc. False (said why) if the backend refuses. */
	bool (*vcpu_load)(struct vcpu *vcpu, const struct vcpu_snapshot *in);
	/* Runs the vCPU on this CPU until something the scheduler must decide happens. */
	enum vcpu_event (*vcpu_run)(struct vcpu *vcpu, uint64_t slice_tsc);
	/* The backend's name for exit counter i, or NULL if it has none. */
	const char *(*exit_name)(unsigned i);
};

extern const struct vcpu_backend vmx_backend, svm_backend;
/* The backend in use: set by backend_probe, NULL before (or when the CPU has none). */
extern const struct vcpu_backend *backend;

/* Once, on the boot CPU: chooses the backend whose technique the CPU has (VT-x first) and
 * probes it. False if there is none or it cannot run kan; backend_why_not says why. */
bool backend_probe(void);
const char *backend_why_not(void);
/* "VT-x" or "AMD-V" once probed, else "none". */
const char *backend_name(void);

static inline bool backend_cpu_enable(unsigned cpu)
{
	return backend->cpu_enable(cpu);
}
static inline bool backend_cpu_disable(unsigned cpu)
{
	return backend && backend->cpu_disable(cpu);
}
static inline bool backend_vm_create(struct vm *vm)
{
	return backend->vm_create(vm);
}
static inline bool backend_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	return backend->vcpu_create(vcpu, boot);
}
static inline bool backend_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	return backend->vcpu_reset(vcpu, boot);
}
static inline void backend_vcpu_unload(struct vcpu *vcpu)
{
	backend->vcpu_unload(vcpu);
}
static inline void backend_vm_destroy(struct vm *vm)
{
	backend->vm_destroy(vm);
}
static inline void backend_vcpu_save(struct vcpu *vcpu, struct vcpu_snapshot *out)
{
	backend->vcpu_save(vcpu, out);
}
static inline bool backend_vcpu_load(struct vcpu *vcpu, const struct vcpu_snapshot *in)
{
	return backend->vcpu_load(vcpu, in);
}
static inline enum vcpu_event backend_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc)
{
	return backend->vcpu_run(vcpu, slice_tsc);
}
static inline const char *backend_exit_name(unsigned i)
{
	return backend ? backend->exit_name(i) : NULL;
}

#endif
