/* The ways kan can end the machine it runs on; kernel/panic.c chooses among them. */
#ifndef KAN_DRIVERS_PLATFORM_EXIT_H
#define KAN_DRIVERS_PLATFORM_EXIT_H

#include <stdint.h>

/*
 * Bochs or QEMU, if kan runs in one: ACPI tables with Bochs's OEM ID "BOCHS " and a table ID
 * starting "BXPC" (Bochs's BIOS and QEMU's tables, SeaBIOS and OVMF alike), or, under a
 * hypervisor (CPUID), QEMU's fw_cfg signature. NULL on anything else, where their exit ports
 * may be another device's.
 */
const char *platform_emulator(void);

/* The emulator's exit ports: "Shutdown" to 0x8900 (Bochs), `code` to isa-debug-exit at 0xf4
 * (QEMU exits with (code << 1) | 1). Returns if neither ended the emulator. */
void platform_emulator_exit(uint8_t code);

/* Resets the machine: the ACPI reset register, port 0xcf9, the 8042's reset line, and last a
 * triple fault. Says which it tries. */
__attribute__((noreturn)) void platform_reset(void);

#endif
