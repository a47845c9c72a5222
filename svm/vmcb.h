/*
 * The virtual machine control block (APM Vol. 2, appendix B): one 4 KiB page per vCPU, the
 * control area at 0 and the guest's state at 0x400. Offsets are checked below.
 */
#ifndef KAN_SVM_VMCB_H
#define KAN_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

struct vmcb_segment {
	uint16_t selector;
	uint16_t attrib; /* descriptor bits 40-47 and 52-55, packed into 12 bits */
	uint32_t limit;
	uint64_t base;
};

struct vmcb_control {
	uint32_t cr_intercepts; /* bits 0-15 reads of CRn, 16-31 writes */
	uint32_t dr_intercepts;
	uint32_t exception_intercepts;
	uint32_t intercepts1; /* SVM_INTERCEPT1_* */
	uint32_t intercepts2; /* SVM_INTERCEPT2_* */
	uint32_t intercepts3;
	uint8_t reserved1[0x3c - 0x18];
	uint16_t pause_filter_threshold;
	uint16_t pause_filter_count;
	uint64_t iopm_base_pa;
	uint64_t msrpm_base_pa;
	uint64_t tsc_offset;
	uint32_t asid;
	uint8_t tlb_control; /* SVM_TLB_* */
	uint8_t reserved2[3];
	uint64_t v_intr;    /* V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING, vector */
	uint64_t int_state; /* bit 0: the guest is in an interrupt shadow */
	uint64_t exit_code;
	uint64_t exit_info1;
	uint64_t exit_info2;
	uint64_t exit_int_info; /* an event whose delivery the exit interrupted (EVENTINJ format) */
	uint64_t np_enable;	/* bit 0: nested paging */
	uint64_t avic_apic_bar;
	uint64_t ghcb_pa;
	uint64_t event_inj;
	uint64_t n_cr3;
	uint64_t lbr_virt_enable;
	uint32_t clean; /* VMCB clean bits: unused by kan, always 0 (all state reloaded) */
	uint32_t reserved3;
	uint64_t next_rip; /* with NRIP save */
	uint8_t insn_len;  /* with decode assists */
	uint8_t insn_bytes[15];
	uint8_t reserved4[0x400 - 0xe0];
};

struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint8_t reserved1[0xcb - 0xa0];
	uint8_t cpl;
	uint32_t reserved2;
	uint64_t efer;
	uint8_t reserved3[0x148 - 0xd8];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
	uint8_t reserved4[0x1d8 - 0x180];
	uint64_t rsp;
	uint64_t s_cet, ssp, isst_addr;
	uint64_t rax;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2;
	uint8_t reserved5[0x268 - 0x248];
	uint64_t g_pat;
	uint64_t dbgctl;
	uint64_t br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

_Static_assert(offsetof(struct vmcb_control, pause_filter_threshold) == 0x3c, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, asid) == 0x58, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x70, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0xa8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, clean) == 0xc0, "VMCB layout");
_Static_assert(offsetof(struct vmcb_control, insn_len) == 0xd0, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save) == 0x400, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, tr) == 0x90, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, cpl) == 0xcb, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, efer) == 0xd0, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, cr4) == 0x148, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rip) == 0x178, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, rax) == 0x1f8, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, cr2) == 0x240, "VMCB layout");
_Static_assert(offsetof(struct vmcb_save, g_pat) == 0x268, "VMCB layout");

/* intercepts1 (VMCB offset 0x0c). */
#define SVM_INTERCEPT1_INTR	   (1u << 0)
#define SVM_INTERCEPT1_NMI	   (1u << 1)
#define SVM_INTERCEPT1_INIT	   (1u << 3)
#define SVM_INTERCEPT1_VINTR	   (1u << 4)
#define SVM_INTERCEPT1_RDPMC	   (1u << 15)
#define SVM_INTERCEPT1_CPUID	   (1u << 18)
#define SVM_INTERCEPT1_INVD	   (1u << 22)
#define SVM_INTERCEPT1_PAUSE	   (1u << 23)
#define SVM_INTERCEPT1_HLT	   (1u << 24)
#define SVM_INTERCEPT1_INVLPGA	   (1u << 26)
#define SVM_INTERCEPT1_IOIO	   (1u << 27)
#define SVM_INTERCEPT1_MSR	   (1u << 28)
#define SVM_INTERCEPT1_TASK_SWITCH (1u << 29)
#define SVM_INTERCEPT1_SHUTDOWN	   (1u << 31)
/* intercepts2 (0x10). */
#define SVM_INTERCEPT2_VMRUN	   (1u << 0)
#define SVM_INTERCEPT2_VMMCALL	   (1u << 1)
#define SVM_INTERCEPT2_VMLOAD	   (1u << 2)
#define SVM_INTERCEPT2_VMSAVE	   (1u << 3)
#define SVM_INTERCEPT2_STGI	   (1u << 4)
#define SVM_INTERCEPT2_CLGI	   (1u << 5)
#define SVM_INTERCEPT2_SKINIT	   (1u << 6)
#define SVM_INTERCEPT2_WBINVD	   (1u << 9)
#define SVM_INTERCEPT2_MONITOR	   (1u << 10)
#define SVM_INTERCEPT2_MWAIT	   (1u << 11)
#define SVM_INTERCEPT2_MWAIT_ARMED (1u << 12)
#define SVM_INTERCEPT2_XSETBV	   (1u << 13)

#define SVM_TLB_NOTHING		       0
#define SVM_TLB_FLUSH_ALL	       1 /* every ASID's entries */
#define SVM_TLB_FLUSH_GUEST	       3 /* this ASID's (needs flush by ASID) */
#define SVM_TLB_FLUSH_GUEST_NON_GLOBAL 7

/* v_intr (0x60). */
#define SVM_V_IRQ	     (1ull << 8)
#define SVM_V_INTR_PRIO(p)   ((uint64_t)(p) << 16)
#define SVM_V_IGN_TPR	     (1ull << 20)
#define SVM_V_INTR_MASKING   (1ull << 24)
#define SVM_INT_STATE_SHADOW 1ull

/* event_inj and exit_int_info. */
#define SVM_EVENT_VALID		 (1ull << 31)
#define SVM_EVENT_HAS_CODE	 (1ull << 11)
#define SVM_EVENT_TYPE_MASK	 (7ull << 8)
#define SVM_EVENT_TYPE_INTR	 (0ull << 8)
#define SVM_EVENT_TYPE_NMI	 (2ull << 8)
#define SVM_EVENT_TYPE_EXCEPTION (3ull << 8)
#define SVM_EVENT_TYPE_SOFT	 (4ull << 8)

/* Exit codes (APM Vol. 2, appendix C). */
#define SVM_EXIT_CR0_READ    0x00
#define SVM_EXIT_CR0_WRITE   0x10
#define SVM_EXIT_CR3_WRITE   0x13
#define SVM_EXIT_CR4_WRITE   0x14
#define SVM_EXIT_EXCEPTION   0x40 /* + vector */
#define SVM_EXIT_INTR	     0x60
#define SVM_EXIT_NMI	     0x61
#define SVM_EXIT_SMI	     0x62
#define SVM_EXIT_INIT	     0x63
#define SVM_EXIT_VINTR	     0x64
#define SVM_EXIT_RDPMC	     0x6f
#define SVM_EXIT_CPUID	     0x72
#define SVM_EXIT_INVD	     0x76
#define SVM_EXIT_PAUSE	     0x77
#define SVM_EXIT_HLT	     0x78
#define SVM_EXIT_INVLPGA     0x7a
#define SVM_EXIT_IOIO	     0x7b
#define SVM_EXIT_MSR	     0x7c
#define SVM_EXIT_TASK_SWITCH 0x7d
#define SVM_EXIT_SHUTDOWN    0x7f
#define SVM_EXIT_VMRUN	     0x80
#define SVM_EXIT_VMMCALL     0x81
#define SVM_EXIT_VMLOAD	     0x82
#define SVM_EXIT_VMSAVE	     0x83
#define SVM_EXIT_STGI	     0x84
#define SVM_EXIT_CLGI	     0x85
#define SVM_EXIT_SKINIT	     0x86
#define SVM_EXIT_WBINVD	     0x89
#define SVM_EXIT_MONITOR     0x8a
#define SVM_EXIT_MWAIT	     0x8b
#define SVM_EXIT_MWAIT_ARMED 0x8c
#define SVM_EXIT_XSETBV	     0x8d
#define SVM_EXIT_NPF	     0x400
#define SVM_EXIT_INVALID     ((uint64_t)-1) /* VMRUN refused the guest state */

/*
 * The exit table and the per-vCPU counters are indexed by a compact number: the codes below
 * 0x90 as they are, the nested page fault after them.
 */
#define SVM_EXIT_INDEX_NPF 0x90
#define SVM_EXIT_INDEXES   0x91

#endif
