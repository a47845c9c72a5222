/* kan's boot sequence on the boot CPU, from GRUB's hand-off to the scheduler. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/mce.h"
#include "arch/x86_64/nx.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/stacks.h"
#include "arch/x86_64/interrupts.h"
#include "drivers/ioapic.h"
#include "drivers/pic8259.h"
#include "arch/x86_64/xstate.h"
#include "kernel/msr_policy.h"
#include "kernel/spec_policy.h"
#include "kernel/check.h"
#include "kernel/cpus.h"
#include "kernel/console.h"
#include "kernel/console_setup.h"
#include "kernel/memory.h"
#include "kernel/multiboot2.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/trace.h"
#include "kernel/vm_balance.h"
#include "kernel/vcpu_backend.h"
#include "kernel/vm.h"
#include "kernel/vm_config.h"

#define KAN_VERSION "0.1"
/* Everything kan needs from GRUB's information, copied out of it at once (the module list by
 * memory_init): under UEFI it sits at 0x4000, where the AP trampoline goes later. */
static struct boot_info boot;
/* The boot CPU's stack for double faults and NMIs, with a guard page unmapped below it. */
static uint8_t boot_ist_stack[PAGE_SIZE + IST_STACK_SIZE] __attribute__((aligned(4096)));
extern char boot_stack_guard[], boot_stack_top[]; /* boot/entry.asm */

void kernel_main(uint32_t magic, uint64_t mbi_addr);

static uint64_t alloc_page_table(void)
{
	return phys_alloc(PAGE_SIZE, PAGE_SIZE);
}

/* kan's own page tables: W^X, NX, guard pages under its stacks, SMEP/SMAP if present. */
static void protect_kan(void)
{
	bool smep, smap;
	if (!paging_init(alloc_page_table, AP_TRAMPOLINE_ADDR) ||
	    !paging_set((uint64_t)boot_stack_guard, (uint64_t)boot_stack_guard + PAGE_SIZE, 0) ||
	    !paging_set((uint64_t)boot_ist_stack, (uint64_t)boot_ist_stack + PAGE_SIZE, 0))
		panic("out of memory for kan's page tables");
	uint64_t boot_stack = (uint64_t)boot_stack_top;
	stacks_note(0, "boot stack", boot_stack,
		    boot_stack - (uint64_t)boot_stack_guard - PAGE_SIZE);
	stacks_note(0, "IST stack", (uint64_t)(boot_ist_stack + sizeof(boot_ist_stack)),
		    IST_STACK_SIZE);
	paging_enable_protections(&smep, &smap);
	printk("kan: protection: text read-only, data %s, stack guard pages, SMEP %s, SMAP %s\n",
	       nx_on() ? "NX" : "EXECUTABLE (no NX)", smep ? "on" : "absent",
	       smap ? "on" : "absent");
}

/* The MADT, read into free RAM rather than kan's image (it holds up to ACPI_MAX_CPUS APIC
 * IDs); NULL, having said why, when there is none. */
static const struct madt_info *read_madt(void)
{
	uint64_t phys = phys_alloc(sizeof(struct madt_info), 8);
	struct madt_info *madt = phys ? phys_to_ptr(phys) : NULL;
	const char *why = "no memory to read the MADT into";
	if (madt && acpi_read_madt(madt, &why))
		return madt;
	printk("kan: ACPI: %s\n", why);
	if (phys)
		phys_free(phys, sizeof(struct madt_info));
	return NULL;
}

/* The LAPIC mode every CPU uses, then the boot CPU's LAPIC and its timer's rate. */
static void start_lapic(enum lapic_x2apic_option option, uint32_t max_apic_id)
{
	struct lapic_mode_choice choice = lapic_select_mode(option, max_apic_id);
	lapic_init();
	printk("kan: local APIC: %s mode (%s), boot CPU APIC id %u\n",
	       choice.mode == LAPIC_X2APIC ? "x2APIC" : "xAPIC", choice.why, lapic_id());
	lapic_timer_calibrate(time_tsc_hz());
}

static void print_boot_info(void)
{
	printk("kan: booted by %s (%s firmware), command line '%s'\n",
	       boot.loader_name[0] ? boot.loader_name : "an unnamed loader",
	       boot.efi ? "UEFI" : "BIOS", boot.cmdline);
	printk("kan: %d guest module(s)", boot.module_count);
	if (boot.rsdp_revision >= 0)
		printk(", ACPI RSDP revision %d", boot.rsdp_revision);
	printk("\n");
}

/* What of the CPU's state kan gives each guest, and how it keeps VMs apart on one core. */
static void guest_state_probe(void)
{
	xstate_probe();
	msr_policy_init();
	static const char *const names[8] = { "x87", "SSE", "AVX", "", "", "AVX-512", "", "" };
	printk("kan: extended state per vCPU: %u bytes by %s:", xstate.size,
	       !xstate.xsave	 ? "FXSAVE"
	       : xstate.xsaveopt ? "XSAVEOPT/XRSTOR"
				 : "XSAVE/XRSTOR");
	for (unsigned i = 0; i < 8; i++)
		if ((xstate.mask & (1ull << i)) && names[i][0])
			printk(" %s", names[i]);
	printk("\n");
	spec_policy_init();
}

void kernel_main(uint32_t magic, uint64_t mbi_addr)
{
	console_init();
	idt_init();
	pic_remap_and_mask(); /* firmware's vectors 0x08-0x0f would read as exceptions */
	cpu_tables_load(NULL, (uint64_t)(boot_ist_stack + sizeof(boot_ist_stack)));
	printk("\nkan %s: a partitioning hypervisor (VT-x, AMD-V)\n", KAN_VERSION);
	if (magic != MB2_BOOTLOADER_MAGIC)
		kan_shutdown(1, "not started by a multiboot2 loader (bad magic)");

	uint32_t mbi_size = *(uint32_t *)mbi_addr;
	char error[256];
	if (mb2_parse((const void *)mbi_addr, &boot, error, sizeof(error)))
		panic("multiboot2 information is malformed: %s", error);
	console_setup(&boot);
	print_boot_info();
	struct kan_config kan;
	if (kan_config_parse(boot.cmdline, &kan, error, sizeof(error))) {
		printk("kan: ignoring kan's command line: %s\n", error);
		kan_config_parse("", &kan, error, sizeof(error)); /* the defaults */
	}
	selftest_early(kan.selftest); /* the hooks that act before kan's page tables */
	memory_init(&boot, mbi_addr, mbi_addr + mbi_size);
	protect_kan();
	memory_add_high(&boot);
	const char *why;
	bool have_acpi = acpi_init(boot.rsdp, boot.rsdp_revision, &why);
	if (!have_acpi)
		printk("kan: ACPI: %s\n", why);
	time_init(); /* reads the FADT's PM timer */
	kan_shutdown_configure(&kan);
	const struct madt_info *madt = have_acpi ? read_madt() : NULL;
	if (madt && madt->ioapic_base && !paging_uncache(madt->ioapic_base, madt->ioapic_base + 1))
		panic("out of memory for kan's page tables");
	start_lapic(kan.x2apic, madt ? madt->max_apic_id : 0);
	/* The MADT's CPUs, and the boot CPU should the MADT leave it out. */
	unsigned slots = madt ? madt->cpu_count + 1 : 1;
	if (!percpu_reserve(slots < KAN_MAX_CPUS ? slots : KAN_MAX_CPUS))
		kan_shutdown(1, "no memory for the per-CPU state");
	percpu_init(0, lapic_id());
	mce_cpu_init(0);
	console_setup_late();
	console_setup_interrupts(madt);
	cpus_start(madt);
	if (kan.check) {
		guest_state_probe();
		kan_check(&boot, madt, &kan);
	}

	selftest_run(kan.selftest);

	guest_state_probe();
	if (!backend_probe())
		kan_shutdown(1, "this CPU cannot run kan's guests");
	cpus_enable_virtualization();
	if (!percpu_is_present(0))
		kan_shutdown(1, "could not enable virtualization on the boot CPU");

	sched_init(kan.wait_when_empty);
	if (kan.trace[0])
		trace_start(kan.trace); /* refused: said why, and kan runs on untraced */
	if (kan.balance)
		vm_balance_start();
	vms_create_from_boot(&boot, &kan);
	if (vm_count() == 0 && !kan.wait_when_empty)
		kan_shutdown(0, "no guest to run");
	cpus_release_schedulers();
	sched_run();
}
