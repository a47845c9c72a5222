#include "kernel/cpus.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/mce.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/xstate.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/stacks.h"
#include "drivers/acpi.h"
#include "kernel/console.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"

enum phase { PHASE_WAIT, PHASE_ENABLE_VMX, PHASE_SCHEDULE };

static volatile enum phase phase = PHASE_WAIT;
static volatile unsigned cpus_enabled_or_failed;
static unsigned cpus_started = 1; /* the boot CPU */
static void (*volatile ap_errand)(unsigned index);

static void wait_for(enum phase p)
{
	bool errand_done = p != PHASE_ENABLE_VMX;
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) < p) {
		void (*errand)(unsigned) = ap_errand;
		if (errand && !errand_done) {
			errand_done = true;
			errand(this_cpu()->index);
		}
		cpu_relax();
	}
}

static void enable_this_cpu(unsigned index)
{
	xstate_cpu_init(); /* before the backend records this CPU's CR4 as the host's */
	if (backend_cpu_enable(index))
		percpu_set_present(index);
	__atomic_add_fetch(&cpus_enabled_or_failed, 1, __ATOMIC_RELEASE);
}

static void ap_main(unsigned index)
{
	cpu_tables_load(cpus[index].tables, cpus[index].ist_stack_top);
	bool smep, smap;
	paging_enable_protections(&smep, &smap);
	lapic_init();
	percpu_init(index, lapic_id());
	/* Nothing that takes a lock before this: an AP late for its window is sent INIT. */
	smp_report_started(index);
	mce_cpu_init(index);
	wait_for(PHASE_ENABLE_VMX);
	enable_this_cpu(index);
	if (!percpu_is_present(index))
		cpu_halt_forever(); /* said why already; runs no VM */
	wait_for(PHASE_SCHEDULE);
	sched_run();
}

unsigned cpus_start(const struct madt_info *found)
{
	if (!found) {
		printk("kan: cpus: no ACPI MADT; kan runs on the boot CPU only\n");
		return cpus_started;
	}
	uint32_t boot_apic = lapic_id();
	uint64_t notes = phys_alloc(stacks_bytes(percpu_count()), 8);
	if (notes) /* else a crash report cannot name an AP's stack: nothing worse */
		stacks_reserve(phys_to_ptr(notes), percpu_count());
	smp_prepare(time_tsc_hz());
	for (unsigned i = 0; i < found->cpu_count; i++) {
		uint32_t apic = found->apic_ids[i];
		if (apic == boot_apic)
			continue;
		if (cpus_started == percpu_count()) {
			printk("kan: cpus: kan runs at most %d CPUs: CPU with APIC id %u and the "
			       "%u after it in the MADT not started\n",
			       KAN_MAX_CPUS, apic, found->cpu_count - i - 1);
			break;
		}
		if (!lapic_can_address(lapic_mode(), apic)) {
			printk("kan: cpus: CPU with APIC id %u not started: xAPIC mode cannot name "
			       "it (x2apic=auto or on needs a CPU with x2APIC)\n",
			       apic);
			continue;
		}
		uint64_t stack = stack_alloc(KAN_HOST_STACK_SIZE);
		uint64_t ist_stack = stack_alloc(IST_STACK_SIZE);
		cpus[cpus_started].ist_stack_top = ist_stack;
		enum smp_start how =
			stack && ist_stack ? smp_start_cpu(apic, cpus_started, stack, ap_main, 200)
					   : SMP_NOT_STARTED;
		if (how == SMP_NOT_STARTED && stack && ist_stack) {
			/* An emulator's CPU thread on a busy host can miss a window; the revoked
			 * offer and the INIT make a second start as safe as the first. */
			printk("kan: cpus: CPU with APIC id %u was late for its start (200 ms); "
			       "kan "
			       "offers it once more, for 1 s\n",
			       apic);
			how = smp_start_cpu(apic, cpus_started, stack, ap_main, 1000);
		}
		if (how == SMP_LOST) {
			printk("kan: cpus: CPU with APIC id %u began its start but did not finish "
			       "it; kan starts no more CPUs\n",
			       apic);
			break;
		}
		if (how == SMP_NOT_STARTED) {
			printk("kan: cpus: CPU with APIC id %u did not start; kan goes on without "
			       "it\n",
			       apic);
			continue;
		}
		printk("kan: cpu %u (APIC id %u) started%s\n", cpus_started,
		       cpus[cpus_started].apic_id,
		       lapic_mode() == LAPIC_X2APIC ? " in x2APIC mode" : "");
		stacks_note(cpus_started, "stack", stack, KAN_HOST_STACK_SIZE);
		stacks_note(cpus_started, "IST stack", ist_stack, IST_STACK_SIZE);
		cpus_started++;
	}
	paging_set(AP_TRAMPOLINE_ADDR, AP_TRAMPOLINE_ADDR + PAGE_SIZE, 0); /* no longer needed */
	printk("kan: cpus: %u of %u listed in the ACPI MADT are running\n", cpus_started,
	       found->cpu_count);
	if (found->hotplug_count)
		printk("kan: cpus: %u more listed as hot-pluggable, not started\n",
		       found->hotplug_count);
	if (found->disabled_count)
		printk("kan: cpus: %u more listed as disabled (absent, or hot-pluggable under "
		       "ACPI before 6.3), not started\n",
		       found->disabled_count);
	if (found->duplicates)
		printk("kan: cpus: %u MADT entries repeat an APIC id already listed; each CPU "
		       "started once\n",
		       found->duplicates);
	if (found->beyond_limit)
		printk("kan: cpus: %u more enabled CPUs in the MADT (APIC ids %u to %u) "
		       "beyond kan's limit of %d, not started\n",
		       found->beyond_limit, found->beyond_first_id, found->beyond_last_id,
		       ACPI_MAX_CPUS);
	return cpus_started;
}

unsigned cpus_running(void)
{
	return cpus_started;
}

void cpus_send_errand(void (*errand)(unsigned index))
{
	ap_errand = errand;
}

void cpus_enable_virtualization(void)
{
	__atomic_store_n(&phase, PHASE_ENABLE_VMX, __ATOMIC_RELEASE);
	enable_this_cpu(0);
	while (__atomic_load_n(&cpus_enabled_or_failed, __ATOMIC_ACQUIRE) < cpus_started)
		cpu_relax();
}

void cpus_release_schedulers(void)
{
	__atomic_store_n(&phase, PHASE_SCHEDULE, __ATOMIC_RELEASE);
}

/* The machine's end (kan_shutdown): who leads it, and what each other CPU did when told. */
static unsigned end_leader = ~0u;
#define END_STOPPED  1u /* end_state[] bits, one byte per CPU */
#define END_LEFT_VMX 2u
static uint8_t end_state[KAN_MAX_CPUS];

#define END_WAIT_US 200000 /* for the other CPUs to answer the NMI */

static void record_stop(unsigned index, bool left_vmx)
{
	__atomic_store_n(&end_state[index], END_STOPPED | (left_vmx ? END_LEFT_VMX : 0),
			 __ATOMIC_RELEASE);
}

/* Which CPU runs this, from the stack it runs on: GS may not hold a cpu yet (an exception in
 * an AP before percpu_init, a panic before the boot CPU's), and the stacks are noted before
 * any code runs on them. Unknown stacks are the boot CPU's early boot stack. */
static unsigned current_index(void)
{
	struct stack_place here = stacks_find((uint64_t)__builtin_frame_address(0));
	return here.found ? here.cpu : 0;
}

/* Every other CPU's last act, from the NMI the leader sends: it may have interrupted printk
 * or a guest, so it only leaves virtualization and halts, NMIs blocked, interrupts off. */
static void stop_this_cpu(void)
{
	unsigned index = current_index();
	record_stop(index, backend_cpu_disable(index));
	cpu_halt_forever();
}

void cpus_end(void)
{
	unsigned self = current_index();
	unsigned leader = ~0u;
	if (!__atomic_compare_exchange_n(&end_leader, &leader, self, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		stop_this_cpu(); /* another CPU ends the machine already */
	nmi_set_stop(stop_this_cpu);
	for (unsigned i = 0; i < cpus_started; i++)
		if (i != self && cpus[i].apic_id != cpus[self].apic_id) /* never this CPU */
			lapic_send_nmi(cpus[i].apic_id);
	uint64_t deadline = rdtsc() + time_us_to_tsc(END_WAIT_US);
	for (unsigned i = 0; i < cpus_started && rdtsc() < deadline;)
		if (i == self || cpus[i].apic_id == cpus[self].apic_id ||
		    (__atomic_load_n(&end_state[i], __ATOMIC_ACQUIRE) & END_STOPPED))
			i++;
		else
			cpu_relax();
	record_stop(self, backend_cpu_disable(self));
}

void cpus_report_end(void)
{
	for (unsigned i = 0; i < cpus_started; i++) {
		uint8_t state = __atomic_load_n(&end_state[i], __ATOMIC_ACQUIRE);
		if (!(state & END_STOPPED))
			printk("kan: cpu %u: did not answer the NMI; it may still run\n", i);
		else if (state & END_LEFT_VMX)
			printk("kan: cpu %u: left %s%s\n", i, backend->operation,
			       i == end_leader ? "" : ", halted");
		else
			printk("kan: cpu %u: was never in %s%s\n", i,
			       backend ? backend->operation : "VMX or SVM operation",
			       i == end_leader ? "" : ", halted");
	}
}
