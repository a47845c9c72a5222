/* apic-abuse's local APIC access, interrupts and its application processor (apic.c). */
#ifndef APIC_ABUSE_APIC_H
#define APIC_ABUSE_APIC_H

#include "guest.h"

/* xAPIC register offsets; the x2APIC MSR is 0x800 + offset / 16 (SDM Table 11-6). */
#define APIC_ID		   0x020
#define APIC_EOI	   0x0b0
#define APIC_LDR	   0x0d0
#define APIC_DFR	   0x0e0
#define APIC_SVR	   0x0f0
#define APIC_ESR	   0x280
#define APIC_ICR_LOW	   0x300
#define APIC_ICR_HIGH	   0x310
#define APIC_LVT_TIMER	   0x320
#define APIC_LVT_ERROR	   0x370
#define APIC_TIMER_ICR	   0x380
#define APIC_TIMER_DCR	   0x3e0
#define X2APIC_MSR(offset) (0x800u + (offset) / 16)
#define X2APIC_SELF_IPI	   0x83fu
#define MSR_APIC_BASE	   0x1bu

#define APIC_BASE_BSP  (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN   (1ull << 11)

/* ICR fields (SDM Figure 11-12). */
#define ICR_FIXED	   (0u << 8)
#define ICR_INIT	   (5u << 8)
#define ICR_STARTUP	   (6u << 8)
#define ICR_LOGICAL	   (1u << 11)
#define ICR_BUSY	   (1u << 12)
#define ICR_ASSERT	   (1u << 14)
#define ICR_SELF	   (1u << 18)
#define ESR_SEND_ILLEGAL   0x20u
#define ESR_RECV_ILLEGAL   0x40u
#define LVT_MASKED	   (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

/* The vectors this guest uses. */
#define VECTOR_DOORBELL 0x42 /* the BSP tells the AP a command waits */
#define VECTOR_SELF	0x50 /* the self-IPI storms */
#define VECTOR_TIMER	0x60
#define VECTOR_NOBODY	0x70 /* IPIs to destinations nobody has */
#define VECTOR_ERROR	0xf0 /* the LVT error interrupt */
#define VECTOR_SPURIOUS 0xff

#define TRAMPOLINE_VECTOR 0x10 /* stubs.asm: the AP's start-up code at 0x10000 */
#define LANDING_CS	  ((volatile uint16_t *)0x9000)
#define LANDING_COUNT	  ((volatile uint16_t *)0x9002)

#define VCPUS 2 /* this guest uses two: the BSP (0) and one AP (1) */

/* Interrupts each vCPU took, by vector (apic.c counts them in its handler). */
extern volatile uint64_t irq_counts[VCPUS][256];
/* Whether each vCPU's APIC is in x2APIC mode (so the handler knows how to EOI). */
extern volatile int x2apic_on[VCPUS];

/* What the BSP asks of the AP, and what the AP reports. */
enum ap_command { AP_PING = 1, AP_INIT_SELF, AP_CHECK_XMM };
struct ap_mailbox {
	volatile uint32_t command, argument, sequence, done; /* done == sequence: answered */
	volatile uint64_t boots;			     /* times it reached ap_entry64 */
	volatile uint32_t apic_id, xmm_zero_at_start, xmm_kept, after_init;
	volatile uint64_t apic_base;
};
extern struct ap_mailbox ap;

/* The xAPIC page with a MOV through a register: kan decodes that form (kan_guest.h, DEVICES),
 * not the MOV-from-absolute-address (moffs) form a compiler picks for a constant address. */
static inline uint32_t xapic_read(unsigned reg)
{
	uint32_t value;
	__asm__ volatile("movl (%1), %0"
			 : "=r"(value)
			 : "r"((uint64_t)0xfee00000u + reg)
			 : "memory");
	return value;
}

static inline void xapic_write(unsigned reg, uint32_t value)
{
	__asm__ volatile("movl %0, (%1)" ::"r"(value), "r"((uint64_t)0xfee00000u + reg) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
}

/* An XMM register's 128 bits, through memory: the compiler never uses XMM here. */
struct xmm {
	uint64_t lo, hi;
};
void xmm7_load(const struct xmm *value);
void xmm7_store(struct xmm *value);

/* Which vCPU runs this: 0 (the BSP) or 1 (the AP, on its own stack). */
unsigned this_vcpu(void);
/* Loads the 256-vector IDT (exceptions through guests/lib/trap.c, the rest counted). */
void idt_load(void);
void idt_install(void);
/* Sends an IPI from the current vCPU in its APIC's mode: ICR low bits and a destination. */
void send_ipi(uint32_t low, uint32_t dest);
/* This vCPU's APIC software-enabled, flat logical ID `ldr_bit`, errors at VECTOR_ERROR. */
void apic_setup_xapic(uint8_t ldr_bit);
/* Reads the ESR after latching the errors seen since the last read (SDM 11.5.3). */
uint32_t esr_read(void);
uint64_t irq_total(unsigned vcpu);

/* INIT, start-up IPIs and the mailbox: all from the BSP, bounded waits by yields. */
void ap_copy_trampoline(void);
void ap_send_init(void);
void ap_send_sipi(uint8_t vector);
/* Sends a command to the AP (doorbell IPI) and waits up to `yields` yields for its answer. */
int ap_command(enum ap_command command, uint32_t argument, unsigned yields);
/* Waits up to `yields` yields for the AP's boot count to reach `boots`. */
int ap_wait_boots(uint64_t boots, unsigned yields);
void yield(void);

#endif
