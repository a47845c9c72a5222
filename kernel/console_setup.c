/*
 * Where kan's console goes. console= on kan's line decides if present; otherwise the ACPI
 * SPCR's UART, else the first of COM1-4 that answers, and the framebuffer GRUB set up.
 */
#include "kernel/console_setup.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/lapic_mode.h"
#include "drivers/acpi_spcr.h"
#include "drivers/framebuffer.h"
#include "drivers/ioapic.h"
#include "drivers/ps2kbd.h"
#include "drivers/uart16550.h"
#include "kernel/console.h"
#include "kernel/console_config.h"
#include "kernel/format.h"
#include "kernel/shell.h"

#define CONSOLE_VECTOR	0x24
#define KEYBOARD_VECTOR 0x25

static struct console_choice choice;
static const struct boot_framebuffer *framebuffer;
static bool screen;
static const char *no_screen_why = "console= leaves it out";
static bool serial_unanswered; /* console= named a port that failed the probe */
static bool serial_from_spcr;
static unsigned serial_irq;

void console_setup(const struct boot_info *boot)
{
	char error[128];
	if (console_choice_parse(boot->cmdline, &choice, error, sizeof(error)))
		printk("kan: console: ignoring %s\n", error);
	framebuffer = &boot->framebuffer;
	if (!choice.given || choice.screen)
		screen = fb_init(framebuffer, &no_screen_why);
	static const uint16_t com_ports[] = { UART_COM1, UART_COM2, UART_COM3, UART_COM4 };
	uint16_t port = choice.serial_port;
	if (choice.given) {
		serial_unanswered = port && port != uart_port() && !uart_probe(port);
	} else {
		for (unsigned i = 0; i < 4 && !port; i++)
			if (com_ports[i] == uart_port() || uart_probe(com_ports[i]))
				port = com_ports[i];
	}
	console_attach(port, UART_BAUD_MAX, screen);
	serial_irq = uart_isa_irq(port);
}

static void describe_serial(char *out, size_t size)
{
	uint16_t port = uart_port();
	const char *name = uart_port_name(port);
	if (!port)
		ksnprintf(out, size, "no serial port (%s)",
			  choice.given ? "console= names none" : "none of COM1-4 answers");
	else
		ksnprintf(out, size, "serial %s%s(0x%x)%s%s", name ? name : "", name ? " " : "",
			  port, serial_from_spcr ? " from the ACPI SPCR" : "",
			  serial_unanswered ? ", which did not answer the probe" : "");
}

static void describe_screen(char *out, size_t size)
{
	if (!screen)
		ksnprintf(out, size, "no screen (%s)", no_screen_why);
	else if (framebuffer->type == MB2_FRAMEBUFFER_TEXT)
		ksnprintf(out, size, "EGA text %ux%u at 0x%llx", framebuffer->width,
			  framebuffer->height, (unsigned long long)framebuffer->addr);
	else
		ksnprintf(out, size, "framebuffer %ux%ux%u at 0x%llx (%ux%u characters)",
			  framebuffer->width, framebuffer->height, framebuffer->bpp,
			  (unsigned long long)framebuffer->addr, fb_columns(), fb_rows());
}

void console_setup_late(void)
{
	struct spcr_info spcr;
	if (acpi_read_spcr(&spcr) && !choice.given) {
		uint16_t port = spcr_io_port(&spcr);
		if (port) {
			console_attach(port, spcr.baud ? spcr.baud : UART_BAUD_MAX, screen);
			serial_from_spcr = true;
			serial_irq = spcr.isa_irq ? spcr.isa_irq : uart_isa_irq(port);
		} else {
			printk("kan: console: the ACPI SPCR names a UART kan cannot drive "
			       "(interface type 0x%x, %s address 0x%llx): only I/O-port 16550s\n",
			       spcr.interface,
			       spcr.base.space == ACPI_SPACE_MEMORY ? "memory" : "other",
			       (unsigned long long)spcr.base.address);
		}
	}
	char found[CONSOLE_DESCRIPTION_MAX];
	console_describe(found, sizeof(found));
	printk("kan: console: %s\n", found);
}

void console_describe(char *out, size_t size)
{
	char serial[96], screen_text[128];
	describe_serial(serial, sizeof(serial));
	describe_screen(screen_text, sizeof(screen_text));
	ksnprintf(out, size, "%s and %s", serial, screen_text);
}

static bool keyboard_interrupt(void)
{
	return ps2kbd_poll(shell_input);
}

static void keyboard_setup(const struct madt_info *madt)
{
	struct fadt_info fadt;
	bool fadt_says_no_8042 = acpi_read_fadt(&fadt) && !(fadt.boot_arch & FADT_BOOT_8042);
	const char *why;
	if (!ps2kbd_init(&why)) {
		printk("kan: keyboard: none (%s%s)\n", why,
		       fadt_says_no_8042 ? "; the FADT lists no 8042 either" : "");
		return;
	}
	interrupt_register(KEYBOARD_VECTOR, keyboard_interrupt);
	ioapic_route_isa_irq(madt, PS2KBD_IRQ, KEYBOARD_VECTOR, lapic_id());
	console_poll_also(keyboard_interrupt);
	printk("kan: keyboard: PS/2 (scan code set %d%s), IRQ %d, vector 0x%x%s\n",
	       ps2kbd_translated() ? 1 : 2, ps2kbd_translated() ? ", translated by the 8042" : "",
	       PS2KBD_IRQ, KEYBOARD_VECTOR,
	       fadt_says_no_8042 ? " (the FADT lists no 8042: firmware emulation?)" : "");
}

void console_setup_interrupts(const struct madt_info *madt)
{
	if (!madt || !madt->ioapic_base) {
		printk("kan: console: polled (no IOAPIC in the ACPI tables)\n");
		return;
	}
	if (!lapic_can_address(LAPIC_XAPIC, lapic_id())) {
		/* An IOAPIC destination has 8 bits; more needs interrupt remapping. */
		printk("kan: console: polled (the boot CPU's APIC id %u does not fit an IOAPIC "
		       "destination)\n",
		       lapic_id());
		return;
	}
	interrupt_register(CONSOLE_VECTOR, console_use_interrupts(shell_input));
	if (uart_port() && serial_irq) {
		ioapic_route_isa_irq(madt, serial_irq, CONSOLE_VECTOR, lapic_id());
		uart_enable_interrupts();
		const char *name = uart_port_name(uart_port());
		printk("kan: console: interrupt-driven (%s IRQ %u, GSI %u, vector 0x%x)\n",
		       name ? name : "serial", serial_irq, madt->isa_gsi[serial_irq],
		       CONSOLE_VECTOR);
	} else if (uart_port()) {
		printk("kan: console: serial port 0x%x has no known IRQ: serviced every "
		       "millisecond instead\n",
		       uart_port());
	}
	keyboard_setup(madt);
}
