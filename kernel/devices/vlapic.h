/*
 * A vCPU's virtual local APIC (Intel SDM Vol. 3A chapter 11), in xAPIC (the page at 0xfee00000)
 * and x2APIC (MSRs 0x800-0x8ff) mode: a pure device model that knows no backend. kernel/ decodes
 * the guest's accesses, routes the messages it sends (vlapic_match, vlapic_accept), injects
 * vlapic_pending and reports it with vlapic_ack, and runs the timer with vlapic_tick.
 *
 * The guest ABI of the timer: the LVT timer counts down at the TSC's rate divided by the divide
 * configuration (1, 2, 4, ..., 128). An initial count of N with divide-by-D fires N * D TSC
 * ticks after it was written. TSC-deadline mode (CPUID.1:ECX[24]) fires when the TSC reaches
 * IA32_TSC_DEADLINE.
 *
 * Choices where the SDM leaves room (documented for the guest ABI):
 * - The xAPIC ID register is read-only (kernel/ finds vCPUs by their initial APIC ID).
 * - The version is 0x50014: integrated APIC, 6 LVT entries, no EOI-broadcast suppression.
 *   The LVT CMCI register at 0x2f0 still holds its value (masked at reset).
 * - xAPIC page accesses other than aligned 32-bit reads/writes of a register's first 4 bytes
 *   read 0 and are ignored on write; offsets naming no register set ESR bit 7.
 * - A fixed LINT0/LINT1 interrupt is delivered edge-triggered (remote IRR is not modelled).
 */
#ifndef KAN_KERNEL_DEVICES_VLAPIC_H
#define KAN_KERNEL_DEVICES_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/devices/apic_msg.h"

#define VLAPIC_BASE_ADDRESS	0xfee00000u
#define VLAPIC_VERSION		0x50014u
#define VLAPIC_MSR_APIC_BASE	0x1bu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u
#define VLAPIC_BASE_BSP		(1u << 8)
#define VLAPIC_BASE_EXTD	(1u << 10)
#define VLAPIC_BASE_EN		(1u << 11)

/* ESR bits (SDM 11.5.3). */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR	  (1u << 5)
#define VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REGISTER	  (1u << 7)

/* The local vector table, in the order of vlapic.lvt[]. */
enum vlapic_lvt {
	VLAPIC_LVT_CMCI,
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_LVT_COUNT
};

#define VLAPIC_LVT_MASKED (1u << 16)

/* LVT timer modes (bits 18:17). */
#define VLAPIC_TIMER_ONESHOT  0u
#define VLAPIC_TIMER_PERIODIC 1u
#define VLAPIC_TIMER_DEADLINE 2u

struct vlapic;

struct vlapic_ops {
	uint64_t (*now)(void *ctx); /* the TSC now (tests: a fake clock) */
	/* The ICR (or x2APIC SELF IPI) was written: deliver `msg` (the sender is `from`). kernel/
	 * finds the targets with vlapic_match and calls vlapic_accept on each. Lowest priority:
	 * kernel/ accepts on one target only, the match with the lowest vlapic_priority. */
	void (*send)(void *ctx, struct vlapic *from, const struct apic_msg *msg);
	/* EOI of a vector whose TMR bit was set: the IOAPIC clears its remote IRR. May be NULL. */
	void (*eoi_level)(void *ctx, uint8_t vector);
};

struct vlapic {
	const struct vlapic_ops *ops;
	void *ctx;
	uint32_t id;	      /* initial APIC ID; xAPIC shows bits 7:0 in ID[31:24] */
	uint64_t apic_base;   /* IA32_APIC_BASE: 0xfee00000 | EN | EXTD | BSP */
	uint32_t tpr;	      /* bits 7:0 */
	uint32_t svr;	      /* spurious vector (7:0), software enable (8), focus (9) */
	uint32_t ldr, dfr;    /* xAPIC logical destination (31:24) and model (31:28); x2APIC
			       * derives its LDR from the ID */
	uint32_t esr;	      /* what a read of the ESR shows (latched by the last ESR write) */
	uint32_t esr_pending; /* errors seen since the last ESR write */
	uint32_t isr[8], tmr[8], irr[8]; /* 256 bits each, vector v at [v / 32] bit v % 32 */
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t icr_low, icr_high; /* icr_high: xAPIC destination in 31:24, x2APIC all 32 bits */
	uint32_t timer_initial;	    /* initial count (one-shot, periodic) */
	uint32_t timer_divide;	    /* divide configuration register (bits 0, 1, 3) */
	uint64_t timer_period;	    /* TSC ticks of one count-down: initial count x divisor */
	uint64_t timer_expiry;	    /* TSC of the next expiry; UINT64_MAX: disarmed */
	uint64_t tsc_deadline;	    /* IA32_TSC_DEADLINE (0: disarmed) */
	/* The shortest period a periodic timer re-arms with, in TSC ticks (0: none). kernel/ sets
	 * it (after vlapic_init, which zeroes it; INIT keeps it) so that a guest's periodic timer
	 * with an initial count of 1 cannot flood its CPU. */
	uint64_t timer_min_period;
	bool nmi_pending, init_pending, extint_pending; /* consumed by kernel/ */
	int sipi_vector; /* -1, or the vector of a SIPI received (kernel/ consumes it) */
};

/* Power-on: xAPIC mode, enabled, software-disabled, everything masked. */
void vlapic_init(struct vlapic *l, uint32_t apic_id, bool bsp, const struct vlapic_ops *ops,
		 void *ctx);
/* INIT (SDM 11.4.7.3): registers as at power-on except the ID and IA32_APIC_BASE (so the
 * x2APIC or xAPIC mode stays). Clears the NMI, INIT and ExtINT flags; keeps sipi_vector,
 * which may belong to the SIPI following this INIT. */
void vlapic_init_signal(struct vlapic *l);
bool vlapic_hw_enabled(const struct vlapic *l); /* IA32_APIC_BASE.EN */
bool vlapic_x2apic(const struct vlapic *l);	/* EXTD */
bool vlapic_sw_enabled(const struct vlapic *l); /* SVR bit 8 */

/* xAPIC page access at `offset` (0..0xfff) of `size` bytes (1,2,4,8). Only meaningful in xAPIC
 * mode; the caller checks vlapic_xapic_mmio_active(). */
void vlapic_mmio(struct vlapic *l, uint32_t offset, unsigned size, bool write, uint64_t *value);
bool vlapic_xapic_mmio_active(const struct vlapic *l); /* EN set, EXTD clear */

bool vlapic_msr_owned(uint32_t msr); /* IA32_APIC_BASE 0x1b, TSC_DEADLINE 0x6e0, 0x800-0x8ff */
int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *value); /* 0, or -1: #GP */
int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t value); /* 0, or -1: #GP */

/* Whether `msg` sent by `sender` (NULL: not an APIC, e.g. the IOAPIC) targets `l`. */
bool vlapic_match(const struct vlapic *l, const struct apic_msg *msg, const struct vlapic *sender);
void vlapic_accept(struct vlapic *l, const struct apic_msg *msg);
/* Arbitration priority (SDM 11.6.2.4 "Lowest Priority Delivery Mode", Figure 11-15): for a
 * lowest-priority message kernel/ picks the match with the lowest value (ties: any one). */
int vlapic_priority(const struct vlapic *l);

uint32_t vlapic_ppr(const struct vlapic *l);	   /* processor priority (SDM 11.8.3.1) */
int vlapic_pending(const struct vlapic *l);	   /* highest IRR vector deliverable now, or -1 */
void vlapic_ack(struct vlapic *l, uint8_t vector); /* the CPU took it: IRR -> ISR */

void vlapic_tick(struct vlapic *l, uint64_t now);   /* fire a due timer */
uint64_t vlapic_next_event(const struct vlapic *l); /* TSC of the next expiry, UINT64_MAX: none */

/* LINT0/1 asserted: deliver per its LVT (fixed, NMI, ExtINT) unless masked. With the APIC
 * hardware-disabled the pins act as on a CPU without one: LINT0 is INTR, LINT1 is NMI. */
void vlapic_lint(struct vlapic *l, unsigned pin);

/* The whole 8-bit TPR; CR8 is TPR[7:4], so a CR8 write is vlapic_set_tpr(l, cr8 << 4) and a
 * CR8 read is vlapic_get_tpr(l) >> 4. */
uint8_t vlapic_get_tpr(const struct vlapic *l);
void vlapic_set_tpr(struct vlapic *l, uint8_t tpr);

#endif
