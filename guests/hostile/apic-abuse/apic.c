/* apic-abuse's plumbing: the IDT, the interrupt handler, IPIs, and the application processor's
 * side (start-up, mailbox). The attacks are in apic-abuse.c. */
#include "apic.h"

#define AP_STACK_SIZE  16384
#define GATE_INTERRUPT 0x8e
#define CODE_SELECTOR  0x08

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

extern const char guest_trap_stubs[], apic_irq_stubs[];
extern const char ap_trampoline[], ap_trampoline_end[], ap_trampoline_stack[];

volatile uint64_t irq_counts[VCPUS][256];
volatile int x2apic_on[VCPUS];
struct ap_mailbox ap;

static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));
static const struct xmm ap_pattern = { 0x41502d786d6d3721ull, 0x0123456789abcdefull };

void xmm7_load(const struct xmm *value)
{
	__asm__ volatile("movdqu %0, %%xmm7" ::"m"(*value));
}

void xmm7_store(struct xmm *value)
{
	__asm__ volatile("movdqu %%xmm7, %0" : "=m"(*value));
}

unsigned this_vcpu(void)
{
	uint64_t rsp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return rsp - (uint64_t)ap_stack < AP_STACK_SIZE ? 1 : 0;
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
}

void idt_install(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t stub = v < 32 ? (uint64_t)guest_trap_stubs + v * 16
				       : (uint64_t)apic_irq_stubs + (v - 32) * 16;
		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)stub,
			.selector = CODE_SELECTOR,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
	idt_load();
}

/* stubs.asm's irq_common: every interrupt is counted; all but the spurious one get an EOI. */
void apic_interrupt(uint64_t vector)
{
	unsigned cpu = this_vcpu();
	irq_counts[cpu][vector & 0xff]++;
	/* The timer's EOI is left to the attack's loop: a period shorter than this handler
	 * would otherwise bring the next interrupt before the loop ever ran again. */
	if (vector == VECTOR_SPURIOUS || vector == VECTOR_TIMER)
		return;
	if (x2apic_on[cpu])
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		xapic_write(APIC_EOI, 0);
}

uint64_t irq_total(unsigned vcpu)
{
	uint64_t total = 0;
	for (unsigned v = 0; v < 256; v++)
		total += irq_counts[vcpu][v];
	return total;
}

void send_ipi(uint32_t low, uint32_t dest)
{
	if (x2apic_on[this_vcpu()]) {
		wrmsr(X2APIC_MSR(APIC_ICR_LOW), (uint64_t)dest << 32 | low);
		return;
	}
	xapic_write(APIC_ICR_HIGH, dest << 24);
	xapic_write(APIC_ICR_LOW, low);
}

void apic_setup_xapic(uint8_t ldr_bit)
{
	xapic_write(APIC_SVR, 0x100 | VECTOR_SPURIOUS);
	xapic_write(APIC_DFR, 0xffffffff); /* the flat model */
	xapic_write(APIC_LDR, (uint32_t)ldr_bit << 24);
	xapic_write(APIC_LVT_ERROR, VECTOR_ERROR);
	esr_read();
}

uint32_t esr_read(void)
{
	if (x2apic_on[this_vcpu()]) {
		wrmsr(X2APIC_MSR(APIC_ESR), 0);
		return (uint32_t)rdmsr(X2APIC_MSR(APIC_ESR));
	}
	xapic_write(APIC_ESR, 0);
	return xapic_read(APIC_ESR);
}

void yield(void)
{
	kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
}

/* ---- the AP's side ---- */

static void ap_serve(uint32_t command)
{
	struct xmm x;
	switch (command) {
	case AP_PING:
		break;
	case AP_INIT_SELF:
		/* INIT by physical destination, its own ID (the self shorthand is not valid for
		 * INIT, SDM Table 11-3). Nothing after the write may run. */
		xapic_write(APIC_ICR_HIGH, 1u << 24);
		xapic_write(APIC_ICR_LOW, ICR_INIT | ICR_ASSERT);
		ap.after_init = 1;
		break;
	case AP_CHECK_XMM:
		xmm7_store(&x);
		ap.xmm_kept = x.lo == ap_pattern.lo && x.hi == ap_pattern.hi;
		break;
	}
}

/* stubs.asm's trampoline calls this in long mode, on ap_stack. */
void __attribute__((noreturn)) ap_entry64(void)
{
	struct xmm x;
	xmm7_store(&x); /* INIT resets SSE state: a fresh AP must see zeros */
	ap.xmm_zero_at_start = !x.lo && !x.hi;
	idt_load();
	x2apic_on[1] = 0;
	ap.apic_base = rdmsr(MSR_APIC_BASE);
	ap.apic_id = xapic_read(APIC_ID) >> 24;
	apic_setup_xapic(0x02);
	xmm7_load(&ap_pattern);
	ap.done = ap.sequence; /* a command sent before an INIT is not answered now */
	__atomic_add_fetch(&ap.boots, 1, __ATOMIC_RELEASE);
	for (;;) {
		__asm__ volatile("cli" ::: "memory");
		uint32_t seq = ap.sequence;
		if (ap.done != seq) {
			ap_serve(ap.command);
			__atomic_store_n(&ap.done, seq, __ATOMIC_RELEASE);
			continue;
		}
		__asm__ volatile("sti; hlt" ::: "memory"); /* the doorbell wakes it */
	}
}

/* ---- the BSP's side ---- */

void ap_copy_trampoline(void)
{
	uint8_t *to = (uint8_t *)(uintptr_t)(TRAMPOLINE_VECTOR << 12);
	uint64_t size = (uint64_t)(ap_trampoline_end - ap_trampoline);
	for (uint64_t i = 0; i < size; i++)
		to[i] = (uint8_t)ap_trampoline[i];
	uint64_t *stack = (uint64_t *)(to + (ap_trampoline_stack - ap_trampoline));
	*stack = (uint64_t)ap_stack + AP_STACK_SIZE;
}

void ap_send_init(void)
{
	send_ipi(ICR_INIT | ICR_ASSERT, 1);
}

void ap_send_sipi(uint8_t vector)
{
	send_ipi(ICR_STARTUP | ICR_ASSERT | vector, 1);
}

int ap_command(enum ap_command command, uint32_t argument, unsigned yields)
{
	ap.command = command;
	ap.argument = argument;
	uint32_t seq = ap.sequence + 1;
	__atomic_store_n(&ap.sequence, seq, __ATOMIC_RELEASE);
	send_ipi(ICR_FIXED | VECTOR_DOORBELL, 1);
	for (unsigned i = 0; i < yields; i++) {
		if (__atomic_load_n(&ap.done, __ATOMIC_ACQUIRE) == seq)
			return 0;
		yield();
	}
	return __atomic_load_n(&ap.done, __ATOMIC_ACQUIRE) == seq ? 0 : -1;
}

int ap_wait_boots(uint64_t boots, unsigned yields)
{
	for (unsigned i = 0; i < yields; i++) {
		if (__atomic_load_n(&ap.boots, __ATOMIC_ACQUIRE) >= boots)
			return 0;
		yield();
	}
	return __atomic_load_n(&ap.boots, __ATOMIC_ACQUIRE) >= boots ? 0 : -1;
}
