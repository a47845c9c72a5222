#include "drivers/platform_exit.h"
#include "arch/x86_64/cpu.h"
#include "drivers/uart16550.h"

#define BOCHS_SHUTDOWN_PORT  0x8900 /* "Shutdown" written here ends Bochs */
#define QEMU_DEBUG_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4,iosize=4 */

void platform_exit(uint8_t code)
{
	interrupts_disable();
	uart_drain(); /* emulators drop what is still in the UART when they exit */
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	/* QEMU exits with status (code << 1) | 1. */
	outl(QEMU_DEBUG_EXIT_PORT, code);
	/* Real hardware, or an emulator without either device: stay halted. */
	cpu_halt_forever();
}
