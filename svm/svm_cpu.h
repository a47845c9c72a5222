/* AMD-V state shared inside svm/: what the CPU offers, per-CPU and per-vCPU state, exits. */
#ifndef KAN_SVM_CPU_H
#define KAN_SVM_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vcpu_backend.h"
#include "svm/vmcb.h"

struct svm_caps {
	unsigned revision;
	uint32_t asids;	   /* CPUID 0x8000000A:EBX, ASID 0 (the host's) included */
	uint32_t features; /* CPUID 0x8000000A:EDX */
	bool one_gib_pages;
};
extern struct svm_caps svm_caps;
/* TSC_AUX exists (RDTSCP or RDPID): the lazy switch includes it. */
extern bool svm_lazy_tsc_aux;
/* The permission maps every guest shares: every port and every MSR intercepted. */
extern uint64_t svm_iopm_pa, svm_msrpm_pa;

/* ASIDs kan hands out per CPU (1..SVM_ASIDS_MAX); VMs beyond share them, with a flush. */
#define SVM_ASIDS_MAX 64

/* The per-CPU part (cpu->backend). */
struct svm_pcpu {
	uint64_t hsave_pa;     /* VM_HSAVE_PA: where VMRUN keeps the host's state */
	uint64_t host_vmcb_pa; /* VMSAVE/VMLOAD of kan's own TR, FS, GS, SYSCALL MSRs */
	struct vcpu *owner;    /* whose DR0-3, TSC_AUX and extended state the CPU holds */
	unsigned asid_vm[SVM_ASIDS_MAX + 1]; /* the VM whose entries an ASID's TLB may hold */
};

struct svm_vcpu {
	struct vmcb *vmcb;
	uint64_t vmcb_pa;
	int host_cpu;	    /* the CPU it last ran on, -1 for none */
	bool flush;	    /* its guest TLB entries must go (a reset) */
	uint8_t v_tpr;	    /* the V_TPR kan last gave it (svm_tpr_from_guest) */
	uint64_t dr[4];	    /* DR0-3, which VMRUN does not switch: the owner's are in the CPU */
	uint64_t tsc_aux;   /* likewise */
	uint64_t slice_end; /* TSC at which the current slice ends, exits included */
	uint64_t timer_end; /* when kan's LAPIC timer ends this run: the slice's end or sooner */
};

struct svm_vm {
	uint64_t ncr3;
	unsigned tables;
};

/* The backend's functions (kernel/vcpu_backend.h), gathered in svm_backend (svm_backend.c). */
bool svm_present(void);
bool svm_probe(void);
const char *svm_why_not(void);
bool svm_cpu_enable(unsigned cpu);
bool svm_cpu_disable(unsigned cpu);
bool svm_vm_create(struct vm *vm);
bool svm_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
bool svm_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
void svm_vcpu_unload(struct vcpu *vcpu);
void svm_vm_destroy(struct vm *vm);
enum vcpu_event svm_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc);
const char *svm_exit_name(unsigned i);
/* Brings owner->xcr0 up to date with the CPU's XCR0 (svm_run.c). */
void svm_sync_xcr0(struct vcpu *owner);
void svm_vcpu_save(struct vcpu *vcpu, struct vcpu_snapshot *out);
bool svm_vcpu_load(struct vcpu *vcpu, const struct vcpu_snapshot *in);
/* Forgets `vcpu` as its CPU's owner without saving (it is reset or destroyed). */
void svm_drop_owner(struct vcpu *vcpu);
/* Forgets `vcpu` as this CPU's owner after saving its lazy state into it (it is unloaded, and
 * may run next on another CPU: vm move). */
void svm_release_owner(struct vcpu *vcpu);
void svm_tpr_from_guest(struct vcpu *vcpu, struct vmcb *vmcb);

/* What an exit handler decides (the same answers as vmx/exit.h's). */
enum svm_action {
	SVM_RESUME,  /* handled: re-enter the guest at once */
	SVM_PREEMPT, /* its time slice ended, or kan has work for this CPU */
	SVM_YIELD,   /* it gave the CPU away */
	SVM_HALT,    /* it waits for an interrupt */
	SVM_STOP,    /* the VM has ended or was stopped (already said why) */
};
typedef enum svm_action (*svm_exit_handler)(struct vcpu *vcpu, struct vmcb *vmcb);

/* Called by the entry stub after every #VMEXIT; SVM_RESUME (0) runs the guest again. */
int svm_exit_dispatch(struct vcpu *vcpu);

static inline struct vmcb *svm_vmcb(const struct vcpu *vcpu)
{
	return ((struct svm_vcpu *)vcpu->backend)->vmcb;
}
#define CS_ATTR_LONG (1u << 9) /* CS.L in the VMCB's packed attributes: 64-bit code */

/* Past an emulated instruction of `len` bytes (the CPU's next RIP where it saves one),
 * ending an STI or MOV SS interrupt shadow as one instruction would. */
void svm_skip(struct vmcb *vmcb, unsigned len);
void svm_inject_exception(struct vmcb *vmcb, unsigned vector, bool has_code, uint32_t code);
/* Stops the VM, naming the exit, its information and the guest's RIP. */
enum svm_action svm_stop_with_report(struct vcpu *vcpu, const char *why);
const char *svm_exit_code_name(uint64_t code);

/* For VMs with a virtual interrupt controller (vm->has_pic). */
void svm_deliver_interrupts(struct vcpu *vcpu, struct vmcb *vmcb);
void svm_reinject_event(struct vmcb *vmcb);

/* The handlers (exit_*.c). */
enum svm_action svm_exit_cpuid(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_vmmcall(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_io(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_msr(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_npf(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_shutdown(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_hlt(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_pause(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_intr(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_nmi(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_init(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_machine_check(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_undefined_opcode(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_ud_exception(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_general_protection(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_invd(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_xsetbv(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_vintr(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_cr0_write(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_cr3_write(struct vcpu *vcpu, struct vmcb *vmcb);
enum svm_action svm_exit_cr4_write(struct vcpu *vcpu, struct vmcb *vmcb);
/* A hypercall instruction of `length` bytes (VMMCALL, or VMCALL met as #UD). */
enum svm_action svm_hypercall(struct vcpu *vcpu, struct vmcb *vmcb, unsigned length);

#endif
