/* Booting an unmodified Linux kernel directly, per the x86 boot protocol (64-bit entry). */
#ifndef KAN_KERNEL_LINUX_BOOT_H
#define KAN_KERNEL_LINUX_BOOT_H

#include <stddef.h>

#include "kernel/vcpu_backend.h"
#include "kernel/vm.h"

/*
 * Loads the bzImage's protected-mode kernel at its preferred address, the initrd (if the VM
 * has one) at the top of RAM, and a zero page with the e820 map and the command line (what
 * follows " -- " on the VM's line). Fills `boot` for the 64-bit entry: long mode, flat
 * __BOOT_CS (0x10) and __BOOT_DS (0x18), RSI = the zero page. -1 with `error` on a bad image.
 */
int linux_boot_prepare(struct vm *vm, const uint8_t *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size);

/* The board's tables, shared with kind=pvh: ACPI (for vm's vCPUs and devices) and SMBIOS in
 * the BIOS area, under 1 MiB (kernel/e820.h reserves it). Returns the RSDP's address. */
uint64_t linux_board_tables(struct vm *vm, uint8_t *ram);

/* On AMD, appends tsc_early_khz= with kan's TSC rate to `cmdline` (at most `max` bytes) unless
 * it has one: Linux reads CPUID 0x15 only on Intel. */
void linux_tell_tsc_rate(struct vm *vm, char *cmdline, size_t max);

#endif
