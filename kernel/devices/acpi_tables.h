/*
 * The ACPI tables of a Linux VM (ACPI 6.x, the smallest set Linux's ACPICA accepts):
 *
 *   RSDP -> RSDT, XSDT -> FADT -> FACS, DSDT
 *
 * The FADT describes kernel/devices/pcboard.h: PM1a event and control blocks, the PM timer, SCI on
 * IRQ 9, the reset register (0xcf9, value 6), the CMOS RTC's century register, and IA-PC
 * boot flags saying there is no 8042 and no VGA. The DSDT holds \_S5 (sleep type 5), which is
 * what lets Linux power off, and a Device (_HID "LNRO0005") per virtio-mmio window, with its
 * registers and its interrupt, which Linux's virtio_mmio driver binds to. There is no MADT:
 * Linux then keeps the 8259 PIC, which kan models, and interrupt numbers are ISA IRQs.
 */
#ifndef KAN_KERNEL_ACPI_TABLES_H
#define KAN_KERNEL_ACPI_TABLES_H

#include <stdint.h>

#define ACPI_TABLES_SIZE      0x400 /* bytes from `gpa` that acpi_tables_build uses */
#define ACPI_MMIO_DEVICES_MAX 4

struct acpi_mmio_device {
	uint32_t base, size; /* guest-physical register window */
	uint8_t irq;	     /* ISA IRQ (edge-triggered, active high) */
};

/* Writes the tables at guest-physical `gpa` (host view: `at`), with `count` virtio-mmio devices in
 * the DSDT; returns the RSDP's address. */
uint64_t acpi_tables_build(uint8_t *at, uint64_t gpa, const struct acpi_mmio_device *devices,
			   unsigned count);
/* The byte that makes `len` bytes from `p` sum to zero. */
uint8_t acpi_checksum(const uint8_t *p, unsigned len);

#endif
