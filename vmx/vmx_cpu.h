/* VT-x state shared inside vmx/: what the CPU offers, the controls kan chose, per-vCPU state. */
#ifndef KAN_VMX_CPU_H
#define KAN_VMX_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vcpu_backend.h"
#include "vmx/vmcs.h"

struct vmx_caps {
	uint64_t basic;
	uint32_t revision;
	uint64_t pin, proc, proc2, exit, entry; /* the (TRUE) capability MSRs */
	uint64_t misc, ept_vpid;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* Control values computed once by vmx_probe(), identical for every vCPU. */
struct vmx_controls {
	uint32_t pin, proc, proc2, exit, entry;
	unsigned preemption_timer_shift;
	unsigned ept_largest_level; /* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
	bool lapic_slices; /* the preemption timer is broken here: the LAPIC timer ends slices */
	/* Added for VMs with several vCPUs, so that a vCPU spinning on a lock held by a sibling
	 * that does not run gives its slice up: PAUSE-loop exiting where the CPU offers it
	 * (proc2), else plain PAUSE exiting (proc) and kernel/pause_loop.h judges the loop. */
	uint32_t pause_proc, pause_proc2;
};
/* The controls kan wants, adjusted to what the capability MSRs in `caps` allow. */
void vmx_choose_controls(const struct vmx_caps *caps, struct vmx_controls *out);
/* True for the CPUs (CPUID.1:EAX) whose VMX-preemption timer does not count at the rate
 * IA32_VMX_MISC states (errata AAJ124, AAK139, AAM126, AAN92, AAO95, AAP86, AAT59, AAU65,
 * AAX65, BA86, and a Xeon E3-1220 v2 stepping): pure, unit-tested. */
bool vmx_preemption_timer_broken(uint32_t cpuid1_eax);
/* Without the preemption timer: slices end by the LAPIC timer (vmx_controls.lapic_slices). */
void vmx_controls_use_lapic_slices(struct vmx_controls *c);

extern struct vmx_caps vmx_caps;
extern struct vmx_controls vmx_controls;

/* The primary and secondary controls of `vcpu`'s VMCS, without the interrupt window: a lone
 * vCPU has no sibling to wait for, so its PAUSEs stay the guest's. */
static inline uint32_t vmx_proc_controls(const struct vcpu *vcpu)
{
	return vmx_controls.proc | (vcpu->vm->vcpu_count > 1 ? vmx_controls.pause_proc : 0);
}
static inline uint32_t vmx_proc2_controls(const struct vcpu *vcpu)
{
	return vmx_controls.proc2 | (vcpu->vm->vcpu_count > 1 ? vmx_controls.pause_proc2 : 0);
}

/* The MSRs kan swaps itself (vmx_lazy_msrs below). */
#define VMX_LAZY_MSRS		6
#define VMX_LAZY_KERNEL_GS_BASE 0 /* its index: the one SWAPGS changes without an exit */

struct vmx_vcpu {
	uint64_t vmcs_phys;
	bool launched;
	int host_cpu;		 /* the CPU whose host state is in the VMCS, -1 for none */
	uint32_t entry_controls; /* changes with the guest's IA-32e mode */
	uint8_t cr8;		 /* the guest's task priority (CR8 accesses exit) */
	uint64_t dr[4], dr6;	 /* the guest's debug registers (storage only) */
	/* State VT-x does not switch and the hardware keeps while kan runs: it is the owner's
	 * (vmx_pcpu.owner) and is saved here only when another vCPU runs on the CPU. */
	uint64_t lazy_msr[VMX_LAZY_MSRS]; /* SYSCALL/SWAPGS MSRs, see vmx_lazy_msrs */
	uint64_t cr2;			  /* the guest's last page-fault address */
	uint64_t slice_end;		  /* TSC at which the current slice ends, exits included */
	uint64_t timer_end;		  /* when the slice timer fires: the slice's end or sooner,
					   * the guest's next timer interrupt (vmx_arm_slice_timer) */
};

struct vmx_vm {
	uint64_t eptp;
	unsigned ept_tables;
};

/* The per-CPU part (cpu->backend). */
struct vmx_pcpu {
	uint64_t vmxon_phys;
	uint64_t current_vmcs; /* what VMPTRLD last loaded here */
	struct vcpu *owner;    /* whose lazy MSRs, CR2 and extended state the CPU holds */
};

/* MSRs VT-x does not switch and kan never uses: the hardware holds the values of the last
 * vCPU that ran on the CPU, and they are swapped only when another vCPU runs there.
 * TSC_AUX is last: it exists only where RDTSCP or RDPID does (vmx_lazy_msr_count). */
extern const uint32_t vmx_lazy_msrs[VMX_LAZY_MSRS];
extern unsigned vmx_lazy_msr_count;
/* Index of `msr` in vmx_lazy_msrs, or -1. */
int vmx_lazy_msr_index(uint32_t msr);
/* Makes this CPU hold `vcpu`'s lazy MSRs, CR2 and extended state, saving the previous
 * owner's. Called when the vCPU's VMCS becomes current on the CPU. */
void vmx_switch_owner(struct vmx_pcpu *pc, struct vcpu *vcpu);
/* Forgets `vcpu` as its CPU's owner without saving (it is reset or destroyed). */
void vmx_drop_owner(struct vmx_pcpu *pc, struct vcpu *vcpu);
/* Forgets `vcpu` as its CPU's owner after saving its lazy state into it (it is unloaded, and
 * may run next on another CPU: vm move). */
void vmx_release_owner(struct vmx_pcpu *pc, struct vcpu *vcpu);

/* Adjusts a wanted control value to a capability MSR (SDM A.3): returns the value to write,
 * and in *missing the wanted bits the CPU cannot set. */
uint32_t vmx_adjust_controls(uint64_t capability, uint32_t wanted, uint32_t *missing);
/* Applies the CR0/CR4 fixed-bit MSRs; `unrestricted` relaxes CR0.PE and CR0.PG. */
uint64_t vmx_fixed_cr0(uint64_t value, bool unrestricted);
uint64_t vmx_fixed_cr4(uint64_t value);
/* The CR4 bits a guest may set: its CPUID's features that this CPU allows in VMX. */
uint64_t vmx_guest_cr4_allowed(void);

/* The backend's functions (kernel/vcpu_backend.h), gathered in vmx_backend (vmx_backend.c). */
bool vmx_present(void);
bool vmx_probe(void);
const char *vmx_why_not(void);
bool vmx_cpu_enable(unsigned cpu);
bool vmx_cpu_disable(unsigned cpu);
bool vmx_vm_create(struct vm *vm);
bool vmx_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
bool vmx_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
void vmx_vm_destroy(struct vm *vm);
void vmx_vcpu_save(struct vcpu *vcpu, struct vcpu_snapshot *out);
bool vmx_vcpu_load(struct vcpu *vcpu, const struct vcpu_snapshot *in);
enum vcpu_event vmx_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc);
const char *vmx_exit_name(unsigned i);

/* The host state for this CPU, written into the current VMCS. */
bool vmcs_write_host_state(void);
/* On the vCPU's CPU: clears its VMCS and frees its pages. */
void vmx_vcpu_destroy(struct vcpu *vcpu);
void vmx_vcpu_unload(struct vcpu *vcpu);
/* The slice timer (preemption timer, or the LAPIC's where that is broken) to fire at the
 * slice's end or at the guest's next timer interrupt, whichever comes first. */
void vmx_arm_slice_timer(struct vcpu *vcpu, struct vmx_vcpu *vx, uint64_t now);

/* vmx/held_interrupts.c: CPUs (Bochs's) that hold kan's interrupts while the guest has IF=0.
 * Set once seen; then the preemption timer also ends each stretch of guest time after at most
 * vmx_held_poll_tsc, and kan takes its interrupts itself. */
extern bool vmx_interrupts_held;
/* How long the guest may run before the next stop, in TSC ticks (where they are held). */
extern uint64_t vmx_held_poll_tsc;
/* At a slice's end: watches for the holding. */
void vmx_held_interrupts_note(void);

/* The preemption timer to fire after `ticks` TSC ticks of guest time (sooner where kan must
 * take its interrupts itself). */
static inline void vmx_set_preemption_timer(uint64_t ticks)
{
	if (__builtin_expect(vmx_interrupts_held, 0) && ticks > vmx_held_poll_tsc)
		ticks = vmx_held_poll_tsc;
	uint64_t timer = ticks >> vmx_controls.preemption_timer_shift;
	vmcs_write(VMX_PREEMPTION_TIMER_VALUE, timer > 0xffffffff ? 0xffffffff : timer);
}

#endif
