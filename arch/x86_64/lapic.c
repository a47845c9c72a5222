#include "arch/x86_64/lapic.h"
#include "arch/x86_64/cpu.h"

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_ENABLE   (1ull << 11)

/* Register offsets (Intel SDM Vol. 3A, Table 11-1). */
#define LAPIC_ID	    0x020
#define LAPIC_EOI	    0x0b0
#define LAPIC_SVR	    0x0f0
#define LAPIC_ICR_LOW	    0x300
#define LAPIC_ICR_HIGH	    0x310
#define LAPIC_LVT_TIMER	    0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE  0x3e0

#define SVR_ENABLE	     (1u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_INIT_ASSERT	     0x00004500u
#define ICR_STARTUP	     0x00004600u
#define ICR_NMI		     0x00004400u
#define LVT_MASKED	     (1u << 16)
#define TIMER_DIVIDE_BY_1    0xb

static volatile uint32_t *lapic;
static uint64_t timer_ticks_per_ms;
static uint64_t tsc_per_us = 1000; /* until calibrated: assume 1 GHz */

static uint32_t reg_read(unsigned offset)
{
	return lapic[offset / 4];
}

static void reg_write(unsigned offset, uint32_t value)
{
	lapic[offset / 4] = value;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic = (volatile uint32_t *)(uintptr_t)(base & 0xfffff000u);
	reg_write(LAPIC_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	reg_write(LAPIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
	reg_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_1);
}

uint32_t lapic_id(void)
{
	return reg_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	reg_write(LAPIC_EOI, 0);
}

static void spin_tsc(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;
	while (rdtsc() < end)
		cpu_relax();
}

void lapic_timer_calibrate(uint64_t tsc_hz)
{
	tsc_per_us = tsc_hz / 1000000 ? tsc_hz / 1000000 : 1;
	reg_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
	spin_tsc(tsc_hz / 1000);
	timer_ticks_per_ms = 0xffffffffu - reg_read(LAPIC_TIMER_CURRENT);
	reg_write(LAPIC_TIMER_INITIAL, 0);
	if (timer_ticks_per_ms == 0)
		timer_ticks_per_ms = 1;
}

void lapic_timer_oneshot(uint64_t us)
{
	uint64_t ticks = us * timer_ticks_per_ms / 1000;
	if (us && ticks == 0)
		ticks = 1;
	reg_write(LAPIC_LVT_TIMER, LAPIC_TIMER_VECTOR); /* one-shot, unmasked */
	reg_write(LAPIC_TIMER_INITIAL, ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
}

static void send_ipi(uint32_t apic_id, uint32_t command)
{
	reg_write(LAPIC_ICR_HIGH, apic_id << 24);
	reg_write(LAPIC_ICR_LOW, command);
	while (reg_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_ipi(apic_id, vector); /* fixed delivery, physical destination */
}

void lapic_send_nmi(uint32_t apic_id)
{
	send_ipi(apic_id, ICR_NMI);
}

void lapic_start_cpu(uint32_t apic_id, uint8_t vector)
{
	/* The MP start-up sequence (SDM Vol. 3A, 8.4.4.1), timed with the calibrated TSC. */
	send_ipi(apic_id, ICR_INIT_ASSERT);
	spin_tsc(10000 * tsc_per_us);
	send_ipi(apic_id, ICR_STARTUP | vector);
	spin_tsc(200 * tsc_per_us);
	send_ipi(apic_id, ICR_STARTUP | vector);
}
