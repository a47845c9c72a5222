#include "kernel/cpus.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
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
static uint64_t ist_stack_tops[KAN_MAX_CPUS];
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
	cpu_tables_load(index, ist_stack_tops[index]);
	bool smep, smap;
	paging_enable_protections(&smep, &smap);
	lapic_init();
	percpu_init(index, lapic_id());
	mce_cpu_init(index);
	printk("kan: cpu %u (APIC id %u) started\n", index, lapic_id());
	smp_report_started(index);
	wait_for(PHASE_ENABLE_VMX);
	enable_this_cpu(index);
	if (!(percpu_present_mask() & (1ull << index)))
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
	smp_prepare(time_tsc_hz());
	for (unsigned i = 0; i < found->cpu_count; i++) {
		uint32_t apic = found->apic_ids[i];
		if (apic == boot_apic)
			continue;
		if (cpus_started == KAN_MAX_CPUS) {
			printk("kan: cpus: the MADT lists %u CPUs; kan uses the first %d\n",
			       found->cpu_count, KAN_MAX_CPUS);
			break;
		}
		uint64_t stack = stack_alloc(KAN_HOST_STACK_SIZE);
		ist_stack_tops[cpus_started] = stack_alloc(IST_STACK_SIZE);
		if (!stack || !ist_stack_tops[cpus_started] ||
		    !smp_start_cpu(apic, cpus_started, stack, ap_main)) {
			printk("kan: cpus: CPU with APIC id %u did not start; kan goes on without "
			       "it\n",
			       apic);
			continue;
		}
		stacks_note(cpus_started, "stack", stack, KAN_HOST_STACK_SIZE);
		stacks_note(cpus_started, "IST stack", ist_stack_tops[cpus_started],
			    IST_STACK_SIZE);
		cpus_started++;
	}
	paging_set(AP_TRAMPOLINE_ADDR, AP_TRAMPOLINE_ADDR + PAGE_SIZE, 0); /* no longer needed */
	printk("kan: cpus: %u of %u listed in the ACPI MADT are running\n", cpus_started,
	       found->cpu_count);
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
