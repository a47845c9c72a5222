#include "arch/x86_64/smp.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/nx.h"
#include "kernel/console.h"
#include "kernel/string.h"

/* boot/ap_trampoline.asm and boot/entry.asm */
extern char ap_trampoline_start[], ap_trampoline_end[];
extern char ap_trampoline_cr3[], ap_trampoline_stack[], ap_trampoline_entry[], ap_trampoline_cpu[];
extern char ap_trampoline_nx[], ap_trampoline_xd_cleared[], ap_trampoline_apic_id[];

static int started_cpu = -1;

/* The trampoline's offer word: an APIC id (offered), or one of these (boot/ap_trampoline.asm). */
#define AP_CLAIMED	 0xfffffffeu /* by the offered CPU, which then runs this start */
#define AP_REVOKED	 0xffffffffu /* by kan, after the start window closed unclaimed */
#define AP_CLAIMED_GRACE 10	     /* start windows a claimed CPU gets to report */
static uint64_t tsc_per_ms;

/* Where a trampoline variable lives in the copy. */
static void *in_copy(char *symbol)
{
	return (void *)(AP_TRAMPOLINE_ADDR + ((uintptr_t)symbol - (uintptr_t)ap_trampoline_start));
}

void smp_prepare(uint64_t tsc_hz)
{
	memcpy((void *)AP_TRAMPOLINE_ADDR, ap_trampoline_start,
	       (uintptr_t)ap_trampoline_end - (uintptr_t)ap_trampoline_start);
	*(uint64_t *)in_copy(ap_trampoline_cr3) = read_cr3();
	*(uint32_t *)in_copy(ap_trampoline_nx) = nx_ap_flags();
	tsc_per_ms = tsc_hz / 1000;
}

enum smp_start smp_start_cpu(uint32_t apic_id, unsigned cpu_index, uint64_t stack_top,
			     ap_entry_fn entry, unsigned window_ms)
{
	uint64_t start_timeout_tsc = window_ms * tsc_per_ms;
	*(uint64_t *)in_copy(ap_trampoline_stack) = stack_top;
	*(uint64_t *)in_copy(ap_trampoline_entry) = (uint64_t)entry;
	*(uint32_t *)in_copy(ap_trampoline_cpu) = cpu_index;
	uint32_t *offer = in_copy(ap_trampoline_apic_id);
	volatile uint32_t *xd_cleared = in_copy(ap_trampoline_xd_cleared);
	*xd_cleared = 0;
	started_cpu = -1;
	__atomic_store_n(offer, apic_id, __ATOMIC_SEQ_CST); /* last: the data words are ready */
	lapic_start_cpu(apic_id, AP_TRAMPOLINE_ADDR >> 12);
	uint64_t deadline = rdtsc() + start_timeout_tsc;
	while (__atomic_load_n(&started_cpu, __ATOMIC_ACQUIRE) != (int)cpu_index) {
		if (rdtsc() <= deadline) {
			cpu_relax();
			continue;
		}
		uint32_t expected = apic_id;
		if (__atomic_compare_exchange_n(offer, &expected, AP_REVOKED, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			/* Not claimed, and now it cannot be: whenever the CPU runs the trampoline,
			 * it halts there. INIT stops it sooner. */
			lapic_send_init(apic_id);
			return SMP_NOT_STARTED;
		}
		/* Claimed just now: it runs on this start's stack and index, so wait for it. */
		if (rdtsc() > deadline + AP_CLAIMED_GRACE * start_timeout_tsc) {
			lapic_send_init(apic_id);
			return SMP_LOST;
		}
		cpu_relax();
	}
	if (*xd_cleared)
		printk("kan: cpu %u: firmware had disabled NX (XD Bit Disable); kan re-enabled "
		       "it\n",
		       cpu_index);
	return SMP_STARTED;
}

void smp_report_started(unsigned cpu_index)
{
	__atomic_store_n(&started_cpu, (int)cpu_index, __ATOMIC_RELEASE);
}
