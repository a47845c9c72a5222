/* The local APIC in the mode this CPU has it: xAPIC through aligned 32-bit MOVs at
 * KAN_LAPIC_BASE, x2APIC through MSRs 0x800 + register / 16 (SDM Vol. 3A, 10.12). */
#include "smp.h"

#define MSR_X2APIC_FIRST  0x800
#define MSR_X2APIC_ICR	  0x830
#define ICR_DELIVERY_BUSY (1u << 12)
#define APIC_SVR_ENABLE	  (1u << 8)
#define ICR_IDLE_WAIT_MS  100

/* MOV with the address in a register, as Linux's readl/writel and kvm-unit-tests do: left to
 * itself gcc reaches 0xfee00000 + reg with MOVABS (A1/A3, a 64-bit absolute address), a form
 * a hypervisor's MMIO decoder need not know. */
static uint32_t xapic_read(unsigned reg)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0"
			 : "=r"(v)
			 : "r"((uintptr_t)KAN_LAPIC_BASE + reg)
			 : "memory");
	return v;
}

static void xapic_write(unsigned reg, uint32_t v)
{
	__asm__ volatile("movl %0, (%1)" ::"r"(v), "r"((uintptr_t)KAN_LAPIC_BASE + reg) : "memory");
}

uint32_t apic_read(unsigned reg)
{
	if (smp_self()->x2apic)
		return (uint32_t)smp_rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
	return xapic_read(reg);
}

void apic_write(unsigned reg, uint32_t value)
{
	if (smp_self()->x2apic)
		smp_wrmsr(MSR_X2APIC_FIRST + (reg >> 4), value);
	else
		xapic_write(reg, value);
}

/* xAPIC keeps the ID in bits 31:24, x2APIC in the whole register. */
uint32_t apic_read_id(void)
{
	uint32_t id = apic_read(APIC_ID);
	return smp_self()->x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* Interrupts off while the two xAPIC ICR halves are written: a handler that sends an IPI in
 * between would change the destination under us. */
void apic_send(uint32_t apic_id, uint32_t icr_low)
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags)::"memory");
	if (smp_self()->x2apic) {
		smp_wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | icr_low);
	} else {
		uint64_t give_up = guest_rdtsc() + smp_ms(ICR_IDLE_WAIT_MS);
		while (xapic_read(APIC_ICR_LOW) & ICR_DELIVERY_BUSY)
			if (guest_rdtsc() > give_up)
				smp_fail("cpu %u: ICR still busy after %u ms (sending 0x%x to apic "
					 "id %u)",
					 smp_self()->index, ICR_IDLE_WAIT_MS, icr_low, apic_id);
		xapic_write(APIC_ICR_HIGH, apic_id << 24);
		xapic_write(APIC_ICR_LOW, icr_low);
	}
	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
}

void apic_enable(void)
{
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VECTOR_SPURIOUS);
}

/* xAPIC to x2APIC: EXTD set while the APIC stays enabled (SDM Vol. 3A, 10.12.5). */
void apic_to_x2apic(void)
{
	uint64_t base = smp_rdmsr(MSR_APIC_BASE);
	smp_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	smp_self()->x2apic = 1;
}

uint32_t cpuid_apic_id(void)
{
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	return b >> 24;
}

uint32_t cpuid1_ecx(void)
{
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	return c;
}
