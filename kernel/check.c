/*
 * `kan check` (`check` on kan's line): like kvm-ok, a report a person reads before trusting
 * a machine to kan. It must work where kan cannot run, so it stops before VMXON or EFER.SVME.
 */
#include "kernel/check.h"
#include "arch/x86_64/cpu.h"
#include "drivers/acpi_power.h"
#include "drivers/platform_exit.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/nx.h"
#include "kernel/console.h"
#include "kernel/console_setup.h"
#include "kernel/cpus.h"
#include "kernel/format.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/vcpu_backend.h"

/* Reasons the verdict is no, joined by "; ". */
static char reasons[512];

static void refuse(const char *why)
{
	size_t len = strlen(reasons);
	ksnprintf(reasons + len, sizeof(reasons) - len, "%s%s", len ? "; " : "", why);
}

static void print_processor(void)
{
	char brand[49] = "";
	if (cpuid(0x80000000, 0).eax >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			struct cpuid_regs r = cpuid(0x80000002 + i, 0);
			memcpy(brand + 16 * i, &r, 16);
		}
		brand[48] = '\0';
	}
	const char *name = brand;
	while (*name == ' ')
		name++;
	printk("kan check: processor: %s (%s)\n", *name ? name : "no brand string",
	       cpu_is_intel() ? "Intel"
	       : cpu_is_amd() ? "AMD or Hygon"
			      : "neither Intel nor AMD");
}

/* The firmware's settings kan depends on, beyond VT-x or AMD-V itself. */
static void print_firmware_settings(void)
{
	/* As nx_enable found it at boot: since then the MSR reads as kan left it. */
	static const char *const nx[] = {
		[NX_ON] = "yes",
		[NX_REENABLED] = "yes: the firmware had disabled it (IA32_MISC_ENABLE bit 34); kan "
				 "re-enabled it",
		[NX_REFUSED] = "no: disabled by the firmware (IA32_MISC_ENABLE bit 34), and the "
			       "CPU refuses to re-enable it",
		[NX_ABSENT] = "no",
	};
	enum nx_state state = nx_current();
	printk("kan check: NX (execute disable): %s\n", nx[state]);
	if (state == NX_REFUSED)
		refuse("NX is disabled in the firmware setup (enable \"Execute Disable Bit\")");
	else if (state == NX_ABSENT)
		refuse("no NX");
	printk("kan check: x2APIC: %s%s\n", (cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) ? "yes" : "no",
	       lapic_firmware_x2apic()	      ? ", left on by the firmware (IA32_APIC_BASE bit 10)"
	       : lapic_mode() == LAPIC_X2APIC ? ", x2APIC mode (kan's choice)"
					      : ", xAPIC mode");
}

static void print_machine(const struct boot_info *boot, const struct madt_info *madt)
{
	char console[CONSOLE_DESCRIPTION_MAX];
	console_describe(console, sizeof(console));
	printk("kan check: console: %s\n", console);
	if (madt)
		printk("kan check: CPUs: %u listed in the ACPI MADT, %u started\n", madt->cpu_count,
		       cpus_running());
	else
		printk("kan check: CPUs: no ACPI MADT, the boot CPU only\n");
	uint8_t typ_a, typ_b;
	const char *why, *emulator = platform_emulator();
	if (acpi_power_off_possible(&typ_a, &typ_b, &why))
		printk("kan check: power-off: ACPI S5 (SLP_TYP %u/%u from the DSDT)\n", typ_a,
		       typ_b);
	else
		printk("kan check: power-off: not through ACPI (%s): kan halts at its end\n", why);
	printk("kan check: emulator: %s\n", emulator ? emulator : "none detected (real hardware)");
	uint64_t ram = 0;
	for (int i = 0; i < boot->ram_count; i++)
		ram += boot->ram[i].end - boot->ram[i].start;
	printk("kan check: memory: %lu MiB of RAM in the firmware's map, %lu MiB free for VMs\n",
	       ram >> 20, phys_free_bytes() >> 20);
}

/* The name= a refused line gives, so the refusal names the module as its author does. */
static void name_in_line(const char *line, char *name, size_t size)
{
	strlcpy(name, "unnamed", size);
	for (const char *p = line; *p; p++) {
		if ((p == line || p[-1] == ' ') && !strncmp(p, "name=", 5)) {
			size_t n = 0;
			for (p += 5; p[n] && p[n] != ' ' && n + 1 < size; n++)
				name[n] = p[n];
			name[n] = '\0';
			return;
		}
	}
}

/* Each module's line as vm_create would read it, without creating anything. */
static void print_modules(const struct boot_info *boot, const struct kan_config *kan)
{
	struct cpuset running = { 0 };
	for (unsigned cpu = 0; cpu < cpus_running(); cpu++)
		cpuset_add(&running, cpu);
	struct vm_config_limits limits = { running, kan->default_slice_us, "guest" };
	uint64_t wanted = 0;
	printk("kan check: %d guest module(s)\n", boot->module_count);
	for (int i = 0; i < boot->module_count; i++) {
		struct vm_config c;
		char error[160];
		const char *line = boot->modules[i].cmdline;
		if (vm_config_parse(line, &limits, &c, error, sizeof(error))) {
			char name[KAN_VM_NAME_MAX];
			name_in_line(line, name, sizeof(name));
			printk("kan check: module %d '%s': refused: %s\n", i + 1, name, error);
			continue;
		}
		/* Data for VMs takes no RAM of its own: its size is the module's. */
		bool data = c.kind == VM_KIND_INITRD || c.kind == VM_KIND_DISK ||
			    c.kind == VM_KIND_DATA;
		static const char *const kinds[] = {
			[VM_KIND_ELF] = "kan ELF guest",
			[VM_KIND_LINUX] = "Linux",
			[VM_KIND_INITRD] = "initrd",
			[VM_KIND_DISK] = "disk",
			[VM_KIND_MULTIBOOT] = "Multiboot kernel",
			[VM_KIND_DATA] = "data",
			[VM_KIND_MULTIBOOT2] = "Multiboot2 kernel",
			[VM_KIND_PVH] = "PVH kernel",
		};
		if (!data)
			wanted += c.mem;
		printk("kan check: module %d '%s': accepted (%s, %lu MiB)\n", i + 1, c.name,
		       kinds[c.kind],
		       data ? (boot->modules[i].end - boot->modules[i].start) >> 20 : c.mem >> 20);
	}
	if (wanted > phys_free_bytes())
		printk("kan check: the guests ask for %lu MiB together, more than the %lu MiB "
		       "free: the last ones will be refused\n",
		       wanted >> 20, phys_free_bytes() >> 20);
}

void kan_check(const struct boot_info *boot, const struct madt_info *madt,
	       const struct kan_config *kan)
{
	printk("kan check: what this machine offers kan\n");
	print_processor();
	if (!backend_probe())
		refuse(backend_why_not());
	else
		printk("kan check: backend: %s\n", backend_name());
	print_firmware_settings();
	print_machine(boot, madt);
	print_modules(boot, kan);
	if (reasons[0])
		printk("kan check: this machine cannot run kan: %s\n", reasons);
	else
		printk("kan check: this machine can run kan\n");
	/* A person reads the report on the screen: halt rather than power off. */
	struct kan_config end = *kan;
	end.on_end = KAN_END_HALT;
	kan_shutdown_configure(&end);
	kan_shutdown(reasons[0] ? 1 : 0, "kan check is done");
}
