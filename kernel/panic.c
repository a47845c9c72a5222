#include "kernel/panic.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "drivers/acpi_power.h"
#include "drivers/platform_exit.h"
#include "kernel/console.h"
#include "kernel/cpus.h"
#include "kernel/format.h"

#include <stdarg.h>

/* Until kan's line is read: power off, and use an emulator's exit port where there is one. */
static enum kan_on_end on_end = KAN_END_POWEROFF;
static bool emulator_exit = true;

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	interrupts_disable();
	console_force_unlock();
	printk("kan: PANIC: %s\n", msg);
	backtrace_print(__builtin_frame_address(0));
	kan_shutdown(2, "panic");
}

void kan_shutdown_configure(const struct kan_config *kan)
{
	on_end = kan->on_end;
	emulator_exit = kan->emulator_exit;
}

void kan_shutdown(int code, const char *why)
{
	interrupts_disable();
	printk("kan: shutdown (%s)\n", why);
	/* Every CPU leaves VMX first: INIT and the reset line do not reach a CPU in it. */
	cpus_end();
	console_force_unlock(); /* a CPU stopped by its NMI may have held it */
	cpus_report_end();
	const char *emulator = platform_emulator();
	if (emulator && emulator_exit) {
		printk("kan: end: %s: its exit port\n", emulator);
		console_flush();
		platform_emulator_exit((uint8_t)code);
	}
	const char *failed = "on_end=halt";
	if (on_end == KAN_END_REBOOT) {
		platform_reset();
	} else if (on_end == KAN_END_POWEROFF) {
		printk("kan: end: ACPI power-off (S5)\n");
		console_flush();
		acpi_power_off(&failed);
	}
	printk("kan: end: every CPU is halted (%s): power the machine off by hand\n", failed);
	console_flush();
	cpu_halt_forever();
}
