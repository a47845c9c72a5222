/* Running a vCPU under AMD-V: pick its ASID, hand it the CPU's unswitched state, enter. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/xstate.h"
#include "kernel/vintr.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/spec_policy.h"
#include "kernel/time.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

/* svm_entry.asm: runs the guest until svm_exit_dispatch returns non-zero, and returns that. */
int svm_enter(struct vcpu *vcpu, uint64_t vmcb_pa, uint64_t host_vmcb_pa);

static inline uint64_t read_dr(unsigned n)
{
	uint64_t v = 0;
	switch (n) {
	case 0:
		__asm__ volatile("mov %%dr0, %0" : "=r"(v));
		break;
	case 1:
		__asm__ volatile("mov %%dr1, %0" : "=r"(v));
		break;
	case 2:
		__asm__ volatile("mov %%dr2, %0" : "=r"(v));
		break;
	default:
		__asm__ volatile("mov %%dr3, %0" : "=r"(v));
		break;
	}
	return v;
}

static inline void write_dr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0:
		__asm__ volatile("mov %0, %%dr0" ::"r"(v));
		break;
	case 1:
		__asm__ volatile("mov %0, %%dr1" ::"r"(v));
		break;
	case 2:
		__asm__ volatile("mov %0, %%dr2" ::"r"(v));
		break;
	default:
		__asm__ volatile("mov %0, %%dr3" ::"r"(v));
		break;
	}
}

/*
 * What VMRUN leaves alone stays in the CPU while kan runs, because kan never uses it: the
 * debug address registers DR0-3 (the guest's own: its breakpoints fire in it, DR7 and DR6 are
 * in the VMCB), TSC_AUX and the extended state with XCR0. It changes hands only here, when
 * another vCPU is about to run on this CPU; the previous owner's values are saved first.
 * CR2 and the SYSCALL/SWAPGS MSRs are in the VMCB (VMRUN, VMLOAD). Between two different VMs
 * the CPU's indirect-branch predictions are dropped too (spec_policy).
 */
/*
 * The guest's XCR0 as the CPU holds it. XSETBV exits (exit_cr.c) on hardware; QEMU 7.2's
 * emulation ignores that intercept, so the guest may have set it unseen: read it back, and
 * keep only the components kan offers (its save area has room for no others).
 */
void svm_sync_xcr0(struct vcpu *owner)
{
	if (!xstate.xsave)
		return; /* no XCR0 at all */
	uint64_t xcr0 = xgetbv(0);
	if (xcr0 == owner->xcr0)
		return;
	if (xcr0 & ~xstate.mask) {
		xcr0 = (xcr0 & xstate.mask) | XSTATE_X87;
		xsetbv(0, xcr0);
	}
	owner->xcr0 = xcr0;
}

static void switch_owner(struct svm_pcpu *pc, struct vcpu *vcpu)
{
	struct vcpu *old = pc->owner;
	if (old == vcpu)
		return;
	struct svm_vcpu *sv = vcpu->backend, *os = old ? old->backend : NULL;
	for (unsigned i = 0; i < 4; i++) {
		if (os)
			os->dr[i] = read_dr(i);
		if (!os || os->dr[i] != sv->dr[i])
			write_dr(i, sv->dr[i]);
	}
	/* VMRUN loads CR2 from the VMCB and #VMEXIT stores it there, but leaves the guest's
	 * in the CPU: kan hands it over itself too, as an emulator may skip either half. */
	if (os)
		os->vmcb->save.cr2 = read_cr2();
	write_cr2(sv->vmcb->save.cr2);
	if (svm_lazy_tsc_aux && (!os || os->tsc_aux != sv->tsc_aux))
		wrmsr(MSR_IA32_TSC_AUX, sv->tsc_aux); /* the WRMSR exit keeps tsc_aux current */
	if (old)
		svm_sync_xcr0(old);
	xstate_switch(old ? old->xsave_area : NULL, vcpu->xsave_area, vcpu->xcr0);
	if (!old || old->vm != vcpu->vm)
		spec_on_vm_switch();
	pc->owner = vcpu;
}

void svm_drop_owner(struct vcpu *vcpu)
{
	struct svm_pcpu *pc = this_cpu()->backend;
	if (pc && pc->owner == vcpu)
		pc->owner = NULL;
}

void svm_release_owner(struct vcpu *vcpu)
{
	struct svm_pcpu *pc = this_cpu()->backend;
	if (!pc || pc->owner != vcpu)
		return;
	struct svm_vcpu *sv = vcpu->backend;
	/* What switch_owner would save for the next owner: the vCPU may run elsewhere. */
	for (unsigned i = 0; i < 4; i++)
		sv->dr[i] = read_dr(i);
	sv->vmcb->save.cr2 = read_cr2();
	svm_sync_xcr0(vcpu);
	xstate_save(vcpu->xsave_area);
	pc->owner = NULL;
}

/*
 * The ASID: VM n uses 1 + (n - 1) % SVM_ASIDS_MAX (fewer where the CPU has fewer). Its TLB
 * entries are dropped whenever the ASID last carried another VM on this CPU, the vCPU came
 * from another CPU, or it was reset; with flush-by-ASID only that ASID's, else all.
 */
static void choose_asid(struct svm_pcpu *pc, struct vcpu *vcpu, struct svm_vcpu *sv, unsigned cpu)
{
	unsigned usable = svm_caps.asids - 1 < SVM_ASIDS_MAX ? svm_caps.asids - 1 : SVM_ASIDS_MAX;
	unsigned id = vcpu->vm->id, asid = 1 + (id - 1) % usable;
	struct vmcb_control *c = &sv->vmcb->control;
	c->asid = asid;
	/* The VM's vCPUs share its ASID: another one's guest TLB entries must go too. */
	bool stale = vcpu_tlb_stale(vcpu, cpu);
	if (pc->asid_vm[asid] != id || sv->host_cpu != (int)cpu || sv->flush || stale) {
		c->tlb_control = svm_caps.features & SVM_FEATURE_FLUSH_BY_ASID ? SVM_TLB_FLUSH_GUEST
									       : SVM_TLB_FLUSH_ALL;
		pc->asid_vm[asid] = id;
		sv->host_cpu = (int)cpu;
		sv->flush = false;
	}
}

enum vcpu_event svm_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc)
{
	struct cpu *c = this_cpu();
	struct svm_pcpu *pc = c->backend;
	struct svm_vcpu *sv = vcpu->backend;
	switch_owner(pc, vcpu);
	choose_asid(pc, vcpu, sv, c->index);
	uint64_t now = rdtsc();
	if (vintr_present(vcpu)) {
		svm_deliver_interrupts(vcpu, sv->vmcb);
		uint64_t tick = vintr_next_event(vcpu); /* be back for the next timer tick */
		if (tick > now && tick - now < slice_tsc)
			slice_tsc = tick - now;
	}
	sv->slice_end = sv->timer_end = now + slice_tsc;
	/*
	 * No preemption timer in AMD-V: kan's LAPIC timer ends the slice (the INTR intercept).
	 * Bochs 2.7 (cpu model ryzen) loses it for a guest that VMRUN enters with IF=0: its
	 * VMRUN loads the guest's RFLAGS before it counts itself in the guest, so it masks
	 * physical interrupts as a host CLI would, V_INTR_MASKING notwithstanding, until the
	 * guest sets IF. A guest spinning with interrupts off keeps its CPU there
	 * (iso/scenarios/ryzen-cli-spin.cfg); QEMU and the APM take the intercept.
	 */
	uint64_t us = time_tsc_to_us(slice_tsc);
	lapic_timer_oneshot(us ? us : 1);
	spec_before_entry();
	int result = svm_enter(vcpu, sv->vmcb_pa, pc->host_vmcb_pa);
	lapic_timer_oneshot(0); /* a slice that ended early leaves no tick for the next */
	switch ((enum svm_action)result) {
	case SVM_PREEMPT:
		return VCPU_EVENT_PREEMPTED;
	case SVM_YIELD:
		return VCPU_EVENT_YIELDED;
	case SVM_HALT:
		return VCPU_EVENT_HALTED;
	default:
		return VCPU_EVENT_ENDED;
	}
}
