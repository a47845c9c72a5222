/* Ending the machine: an emulator's exit port, or a real PC's reset mechanisms in turn. */
#include "drivers/platform_exit.h"
#include "arch/x86_64/cpu.h"
#include "drivers/acpi.h"
#include "drivers/acpi_power.h"
#include "drivers/uart16550.h"
#include "kernel/console.h"
#include "kernel/string.h"

#define BOCHS_SHUTDOWN_PORT  0x8900 /* "Shutdown" written here ends Bochs */
#define QEMU_DEBUG_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4,iosize=4 */
#define QEMU_FW_CFG_SELECTOR 0x510
#define QEMU_FW_CFG_DATA     0x511
#define RESET_CONTROL_PORT   0xcf9 /* PIIX/ICH reset control register */
#define RESET_CONTROL_HARD   0x06  /* SYS_RST | RST_CPU */
#define KBC_STATUS_PORT	     0x64
#define KBC_INPUT_FULL	     (1u << 1)
#define KBC_PULSE_RESET	     0xfe
#define RESET_WAIT_US	     500000

static bool bochs_acpi_tables(void)
{
	const struct acpi_header *t = acpi_find_table("FACP", 0);
	if (!t) {
		/* Ended before kan read ACPI (an early panic): look in the BIOS area. */
		const char *why;
		if (acpi_init(NULL, -1, &why))
			t = acpi_find_table("FACP", 0);
	}
	return t && acpi_written_by_emulator(t);
}

/* QEMU's firmware configuration device: selector 0 reads back "QEMU" (docs/specs/fw_cfg). */
static bool qemu_fw_cfg(void)
{
	__asm__ volatile("outw %w0, %w1" ::"a"(0), "Nd"((uint16_t)QEMU_FW_CFG_SELECTOR));
	char signature[4];
	for (unsigned i = 0; i < 4; i++)
		signature[i] = (char)inb(QEMU_FW_CFG_DATA);
	return !memcmp(signature, "QEMU", 4);
}

#define CPUID_1_ECX_HYPERVISOR (1u << 31)

const char *platform_emulator(void)
{
	if (bochs_acpi_tables())
		return "Bochs or QEMU (ACPI OEM BOCHS, BXPC tables)";
	/* fw_cfg's ports are probed only under a hypervisor: on a real PC they may be anything. */
	if ((cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR) && qemu_fw_cfg())
		return "QEMU (fw_cfg signature)";
	return NULL;
}

void platform_emulator_exit(uint8_t code)
{
	uart_drain(); /* emulators drop what is still in the UART when they exit */
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	outl(QEMU_DEBUG_EXIT_PORT, code);
}

static void say(const char *what)
{
	printk("kan: end: reset by %s\n", what);
	console_flush();
}

void platform_reset(void)
{
	const char *why;
	say("the ACPI reset register");
	acpi_reset(&why);
	printk("kan: end: %s\n", why);
	say("port 0xcf9");
	outb(RESET_CONTROL_PORT, 0x02); /* SYS_RST first, then RST_CPU makes it happen */
	outb(RESET_CONTROL_PORT, RESET_CONTROL_HARD);
	acpi_power_wait_us(RESET_WAIT_US);
	say("the keyboard controller's reset line");
	for (unsigned i = 0; i < 100000 && (inb(KBC_STATUS_PORT) & KBC_INPUT_FULL); i++)
		cpu_relax();
	outb(KBC_STATUS_PORT, KBC_PULSE_RESET);
	acpi_power_wait_us(RESET_WAIT_US);
	say("a triple fault");
	cpu_triple_fault();
}
