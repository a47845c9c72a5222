/*
 * The ACPI tables of a Linux VM (ACPI 6.x, the smallest set Linux's ACPICA accepts):
 *
 *   RSDP -> RSDT, XSDT -> FADT -> FACS, DSDT
 *                     -> MADT (a board with local APICs and an IOAPIC only)
 *
 * The FADT describes kernel/devices/pcboard.h: PM1a event and control blocks, the PM timer, SCI on
 * IRQ 9, the reset register (0xcf9, value 6), the CMOS RTC's century register, and IA-PC
 * boot flags saying there is no 8042 and no VGA. The DSDT holds \_S5 (sleep type 5), which is
 * what lets Linux power off, and a Device (_HID "LNRO0005") per virtio-mmio window, with its
 * registers and its interrupt, which Linux's virtio_mmio driver binds to.
 *
 * A board without an IOAPIC gets no MADT: Linux then keeps the 8259 PIC, which kan models, and
 * interrupt numbers are ISA IRQs. A board with one gets a MADT listing a local APIC per vCPU
 * (APIC IDs 0..cpus-1), the IOAPIC (ID cpus, at VIOAPIC_BASE, GSIs 0-23), LINT1 as every CPU's
 * NMI, and two ISA overrides: IRQ 0 (the PIT) on GSI 2, and the SCI (IRQ 9) level-triggered,
 * active high. Every other ISA IRQ n is GSI n, edge-triggered and active high, the virtio
 * devices' IRQs too. PCAT_COMPAT says the 8259 is still there.
 */
#ifndef KAN_KERNEL_ACPI_TABLES_H
#define KAN_KERNEL_ACPI_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_TABLES_SIZE      0x800 /* bytes from `gpa` that acpi_tables_build uses */
#define ACPI_MMIO_DEVICES_MAX 4
#define ACPI_BOARD_CPUS_MAX   64 /* local APICs the MADT lists at most (it has room for 117) */

struct acpi_mmio_device {
	uint32_t base, size; /* guest-physical register window */
	uint8_t irq;	     /* ISA IRQ (edge-triggered, active high) */
};

/* What the tables describe of a VM's board besides pcboard.h's fixed hardware. */
struct acpi_board {
	unsigned cpus; /* vCPUs, APIC IDs 0..cpus-1 (at most ACPI_BOARD_CPUS_MAX are listed) */
	bool ioapic;   /* an IOAPIC at VIOAPIC_BASE; with cpus >= 1 the tables get a MADT */
	const struct acpi_mmio_device *devices; /* virtio-mmio windows for the DSDT */
	unsigned device_count;			/* at most ACPI_MMIO_DEVICES_MAX are described */
};

/* Writes the tables for `board` at guest-physical `gpa` (host view: `at`); returns the RSDP's
 * address. */
uint64_t acpi_tables_build(uint8_t *at, uint64_t gpa, const struct acpi_board *board);
/* The byte that makes `len` bytes from `p` sum to zero. */
uint8_t acpi_checksum(const uint8_t *p, unsigned len);

#endif
