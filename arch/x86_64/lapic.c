#include "arch/x86_64/lapic.h"
#include "arch/x86_64/cpu.h"

/* Register offsets (Intel SDM Vol. 3A, Table 11-1); in x2APIC mode MSR 0x800 + offset/16. */
#define LAPIC_ID	    0x020
#define LAPIC_EOI	    0x0b0
#define LAPIC_SVR	    0x0f0
#define LAPIC_ISR	    0x100 /* eight registers, 0x10 apart: vectors 0-31, 32-63, ... */
#define LAPIC_IRR	    0x200 /* the same for requests not yet delivered */
#define LAPIC_ICR_LOW	    0x300
#define LAPIC_ICR_HIGH	    0x310 /* xAPIC only: x2APIC's ICR is one 64-bit MSR */
#define LAPIC_LVT_TIMER	    0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE  0x3e0

#define SVR_ENABLE	     (1u << 8)
#define ICR_DELIVERY_PENDING (1u << 12) /* xAPIC only */
#define ICR_INIT_ASSERT	     0x00004500u
#define ICR_STARTUP	     0x00004600u
#define ICR_NMI		     0x00004400u
#define ICR_TO_SELF	     (1u << 18) /* destination shorthand 01 */
#define LVT_MASKED	     (1u << 16)
#define TIMER_DIVIDE_BY_1    0xb

static enum lapic_mode mode = LAPIC_XAPIC;
static bool firmware_x2apic; /* EXTD was set when kan chose the mode */
static volatile uint32_t *lapic;
static uint64_t timer_ticks_per_ms;
static uint64_t tsc_per_us = 1000; /* until calibrated: assume 1 GHz */

static uint32_t reg_read(unsigned offset)
{
	if (mode == LAPIC_X2APIC)
		return (uint32_t)rdmsr(lapic_x2apic_msr(offset));
	return lapic[offset / 4];
}

static void reg_write(unsigned offset, uint32_t value)
{
	if (mode == LAPIC_X2APIC)
		wrmsr(lapic_x2apic_msr(offset), value);
	else
		lapic[offset / 4] = value;
}

struct lapic_mode_choice lapic_select_mode(enum lapic_x2apic_option option, uint32_t max_apic_id)
{
	firmware_x2apic = (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD) != 0;
	struct lapic_mode_inputs in = {
		.firmware_x2apic = firmware_x2apic,
		.cpu_has_x2apic = (cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) != 0,
		.max_apic_id = max_apic_id,
		.option = option,
	};
	struct lapic_mode_choice choice = lapic_mode_choose(&in);
	mode = choice.mode;
	return choice;
}

enum lapic_mode lapic_mode(void)
{
	return mode;
}

bool lapic_firmware_x2apic(void)
{
	return firmware_x2apic;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	/* xAPIC first, then x2APIC: the SDM's state diagram (11.12.5) allows no other way in. */
	if (!(base & APIC_BASE_ENABLE)) {
		base = (base & ~APIC_BASE_EXTD) | APIC_BASE_ENABLE;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (mode == LAPIC_X2APIC && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	lapic = (volatile uint32_t *)(uintptr_t)(base & 0xfffff000u);
	reg_write(LAPIC_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	reg_write(LAPIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
	reg_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_1);
}

uint32_t lapic_id(void)
{
	return lapic_id_from_register(mode, reg_read(LAPIC_ID));
}

void lapic_eoi(void)
{
	reg_write(LAPIC_EOI, 0); /* x2APIC: any other value is a #GP */
}

bool lapic_in_service(uint8_t vector)
{
	return (reg_read(LAPIC_ISR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

uint32_t lapic_requested(unsigned word)
{
	return reg_read(LAPIC_IRR + 0x10 * word);
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
	uint64_t icr = lapic_icr_encode(mode, apic_id, command);
	if (mode == LAPIC_X2APIC) {
		/* WRMSR to the x2APIC is not serializing: earlier stores (a queued vCPU, an
		 * errand) must be visible before the IPI lands. No delivery status to poll. */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(lapic_x2apic_msr(LAPIC_ICR_LOW), icr);
		return;
	}
	reg_write(LAPIC_ICR_HIGH, (uint32_t)(icr >> 32));
	reg_write(LAPIC_ICR_LOW, (uint32_t)icr);
	while (reg_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_ipi(apic_id, vector); /* fixed delivery, physical destination */
}

void lapic_send_self_ipi(uint8_t vector)
{
	send_ipi(0, ICR_TO_SELF | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	send_ipi(apic_id, ICR_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
	send_ipi(apic_id, ICR_INIT_ASSERT);
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
