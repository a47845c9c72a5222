/*
 * A VM under AMD-V: nested page tables mapping its RAM and nothing else, and per vCPU a VMCB
 * written in the order of the VMRUN consistency checks (APM Vol. 2, 15.5.1).
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/console.h"
#include "kernel/gpt.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"

#define NPT_RAM_FLAGS	     0x7ull /* present, writable, user: a guest access is a user one */
#define PAT_POWER_ON_DEFAULT 0x0007040600070406ull
#define VECTOR_UD	     6
#define VECTOR_MC	     18
/* Segment attributes, packed (descriptor bits 40-47 and 52-55). */
#define ATTR_CODE64 0xa9b /* present, code exec/read accessed, L=1, G=1 */
#define ATTR_DATA   0xc93 /* present, data read/write accessed, D/B=1, G=1 */
#define ATTR_CODE32 0xc9b /* present, code exec/read accessed, D/B=1, G=1 */
#define ATTR_CODE16 0x09b
#define ATTR_DATA16 0x093
#define ATTR_TSS    0x08b /* busy 64-bit (or 16-bit in real mode) TSS */
#define ATTR_LDT    0x082

bool svm_vm_create(struct vm *vm)
{
	uint64_t state = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!state)
		return false;
	struct svm_vm *sv = phys_to_ptr(state);
	struct gpt_stats stats = { 0 };
	uint64_t pml4 = gpt_create(&gpt_frames, &stats);
	if (!pml4 || gpt_map(&gpt_frames, pml4, 0, vm->ram_base, vm->config.mem, NPT_RAM_FLAGS,
			     svm_caps.one_gib_pages ? 3 : 2, &stats)) {
		printk("kan: vm %s: could not build its nested page tables (out of memory)\n",
		       vm->config.name);
		if (pml4)
			gpt_destroy(&gpt_frames, pml4);
		phys_free(state, PAGE_SIZE);
		return false;
	}
	sv->ncr3 = pml4;
	sv->tables = stats.tables;
	vm->backend = sv;
	vm->kan_bytes += (1 + stats.tables) * PAGE_SIZE;
	printk("kan: vm %s: nested paging maps %lu MiB with %u x 1G, %u x 2M, %u x 4K pages in "
	       "%u tables\n",
	       vm->config.name, vm->config.mem >> 20, stats.pages[3], stats.pages[2],
	       stats.pages[1], stats.tables);
	return true;
}

/*
 * A vCPU spinning on a lock held by a sibling that does not run gives its slice up (only VMs
 * with several vCPUs: a lone vCPU has no sibling to wait for). With the pause filter the CPU
 * counts the PAUSEs (APM Vol. 2, 15.14.4): about a thousand turns of a spin loop, short
 * against a slice and long against a lock held by a running sibling; with its threshold,
 * PAUSEs more than 128 cycles apart are no loop and start the count again. Without the
 * filter every PAUSE exits and kernel/pause_loop.h judges.
 */
static void svm_intercept_pause_loops(struct vmcb_control *c)
{
	c->intercepts1 |= SVM_INTERCEPT1_PAUSE;
	if (svm_caps.features & SVM_FEATURE_PAUSE_FILTER)
		c->pause_filter_count = 1000;
	if (svm_caps.features & SVM_FEATURE_PAUSE_FILTER_THRESHOLD)
		c->pause_filter_threshold = 128;
}

static void write_control(struct vcpu *vcpu, struct vmcb_control *c)
{
	struct svm_vm *sv = vcpu->vm->backend;
	/* CR4 writes: only the features the guest's CPUID offers; CR0 and CR3 writes: the CPU's
	 * own checks, which QEMU's emulation skips (exit_cr.c). */
	c->cr_intercepts = (1u << (16 + 0)) | (1u << (16 + 3)) | (1u << (16 + 4));
	/* #MC is the host's; #UD may be Intel's hypercall instruction (exit_cr.c). */
	c->exception_intercepts = (1u << VECTOR_MC) | (1u << VECTOR_UD);
	c->intercepts1 = SVM_INTERCEPT1_INTR | SVM_INTERCEPT1_NMI | SVM_INTERCEPT1_INIT |
			 SVM_INTERCEPT1_RDPMC | SVM_INTERCEPT1_CPUID | SVM_INTERCEPT1_INVD |
			 SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_INVLPGA | SVM_INTERCEPT1_IOIO |
			 SVM_INTERCEPT1_MSR | SVM_INTERCEPT1_TASK_SWITCH | SVM_INTERCEPT1_SHUTDOWN;
	if (vcpu->vm->vcpu_count > 1)
		svm_intercept_pause_loops(c);
	/* The guest's CPUID says there is no SVM: its SVM instructions fault as they would. */
	c->intercepts2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
			 SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
			 SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_WBINVD | SVM_INTERCEPT2_MONITOR |
			 SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_MWAIT_ARMED | SVM_INTERCEPT2_XSETBV;
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	c->tsc_offset = 0;
	c->asid = 1; /* svm_run.c picks the real one per CPU */
	c->tlb_control = SVM_TLB_FLUSH_ALL;
	/* The guest's IF masks only its own (virtual) interrupts; kan's stay kan's. */
	c->v_intr = SVM_V_INTR_MASKING;
	c->np_enable = 1;
	c->n_cr3 = sv->ncr3;
}

static void segment(struct vmcb_segment *s, uint16_t sel, uint32_t limit, uint16_t attrib)
{
	*s = (struct vmcb_segment){ .selector = sel, .attrib = attrib, .limit = limit, .base = 0 };
}

static void write_save(struct vcpu *vcpu, struct vmcb_save *s, const struct vcpu_boot_state *b)
{
	bool lm = b->mode == GUEST_MODE_LONG, pm = b->mode == GUEST_MODE_PROTECTED;
	s->cr0 = lm   ? CR0_PE | (1ul << 1) | CR0_ET | CR0_NE | CR0_WP | CR0_PG
		 : pm ? CR0_PE | CR0_ET
		      : CR0_ET;
	s->cr3 = b->cr3;
	s->cr4 = lm ? CR4_PAE : 0;
	/* VMRUN insists on EFER.SVME in the guest's EFER; the guest never sees it (exit_msr.c). */
	s->efer = EFER_SVME | (lm ? EFER_LME | EFER_LMA | EFER_NXE : 0);
	s->dr7 = 0x400;
	s->dr6 = 0xffff0ff0;
	s->g_pat = PAT_POWER_ON_DEFAULT;
	struct vmcb_segment *data[] = { &s->ds, &s->es, &s->ss, &s->fs, &s->gs };
	if (lm) {
		segment(&s->cs, b->cs, 0xffffffff, ATTR_CODE64);
		for (unsigned i = 0; i < 5; i++)
			segment(data[i], b->ds, 0xffffffff, ATTR_DATA);
		segment(&s->tr, b->tr, 0x67, ATTR_TSS);
	} else if (pm) {
		segment(&s->cs, b->cs, 0xffffffff, ATTR_CODE32);
		for (unsigned i = 0; i < 5; i++)
			segment(data[i], b->ds, 0xffffffff, ATTR_DATA);
		segment(&s->tr, b->tr, 0x67, ATTR_TSS);
	} else {
		segment(&s->cs, b->cs, 0xffff, ATTR_CODE16);
		s->cs.base = (uint64_t)b->cs << 4; /* an AP's start-up IPI names its segment */
		for (unsigned i = 0; i < 5; i++)
			segment(data[i], 0, 0xffff, ATTR_DATA16);
		segment(&s->tr, 0, 0xffff, ATTR_TSS);
	}
	segment(&s->ldtr, 0, 0, ATTR_LDT);
	s->gdtr.base = b->gdt_base;
	s->gdtr.limit = b->gdt_limit;
	s->idtr.base = 0;
	s->idtr.limit = lm ? 0 : 0x3ff;
	s->cpl = 0;
	s->rip = b->rip;
	s->rsp = b->rsp;
	s->rflags = 0x2;
	s->rax = b->rax; /* VMRUN loads RAX from here, not from vcpu->regs */
	vcpu->regs.rdi = b->rdi;
	vcpu->regs.rsi = b->rsi;
	vcpu->regs.rax = b->rax;
	vcpu->regs.rbx = b->rbx;
}

/* A fresh VMCB for `boot`; also resets a vCPU, on its CPU. */
static void vmcb_init(struct vcpu *vcpu, struct svm_vcpu *sv, const struct vcpu_boot_state *boot)
{
	memset(sv->vmcb, 0, PAGE_SIZE);
	memset(sv->dr, 0, sizeof(sv->dr));
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	sv->tsc_aux = 0;
	sv->host_cpu = -1;
	sv->flush = true;
	vcpu->xcr0 = XSTATE_X87;
	vcpu->osxsave = false;
	xstate_init_area(vcpu->xsave_area);
	svm_drop_owner(vcpu); /* its old values must not be saved over the new ones */
	write_control(vcpu, &sv->vmcb->control);
	write_save(vcpu, &sv->vmcb->save, boot);
}

static uint64_t xsave_bytes(void)
{
	return (xstate.size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

bool svm_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	uint64_t state = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	uint64_t vmcb = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	uint64_t xsave = phys_alloc(xsave_bytes(), PAGE_SIZE);
	if (!state || !vmcb || !xsave) {
		printk("kan: vm %s: no memory for its VMCB and register state\n",
		       vcpu->vm->config.name);
		if (state)
			phys_free(state, PAGE_SIZE);
		if (vmcb)
			phys_free(vmcb, PAGE_SIZE);
		if (xsave)
			phys_free(xsave, xsave_bytes());
		return false;
	}
	struct svm_vcpu *sv = phys_to_ptr(state);
	sv->vmcb = phys_to_ptr(vmcb);
	sv->vmcb_pa = vmcb;
	vcpu->xsave_area = phys_to_ptr(xsave);
	vcpu->backend = sv;
	vmcb_init(vcpu, sv, boot);
	vcpu->vm->kan_bytes += 2 * PAGE_SIZE + xsave_bytes();
	return true;
}

bool svm_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot)
{
	vmcb_init(vcpu, vcpu->backend, boot);
	return true;
}

void svm_vcpu_unload(struct vcpu *vcpu)
{
	/* The VMCB holds the whole state after #VMEXIT; only the state kan switches lazily is
	 * this CPU's: saved, as the vCPU may go on elsewhere (vm move). Its ASID's entries are
	 * dropped wherever it runs next (choose_asid). */
	svm_release_owner(vcpu);
	((struct svm_vcpu *)vcpu->backend)->flush = true;
}

void svm_vm_destroy(struct vm *vm)
{
	struct svm_vm *sv = vm->backend;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		struct svm_vcpu *svc = vcpu->backend;
		if (!svc)
			continue;
		svm_drop_owner(vcpu);
		phys_free(svc->vmcb_pa, PAGE_SIZE);
		phys_free((uint64_t)svc, PAGE_SIZE);
		phys_free((uint64_t)vcpu->xsave_area, xsave_bytes());
		vcpu->xsave_area = NULL;
		vcpu->backend = NULL;
	}
	/* No CPU may keep translations of memory that goes back to kan: this VM's ASID is
	 * flushed before any other VM uses it (svm_run.c: asid_vm). */
	struct svm_pcpu *pc = this_cpu()->backend;
	for (unsigned i = 0; pc && i <= SVM_ASIDS_MAX; i++)
		if (pc->asid_vm[i] == vm->id)
			pc->asid_vm[i] = 0;
	gpt_destroy(&gpt_frames, sv->ncr3);
	phys_free((uint64_t)sv, PAGE_SIZE);
	vm->backend = NULL;
	vm->kan_bytes = 0;
}
