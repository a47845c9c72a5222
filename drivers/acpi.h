/* ACPI tables, read once at boot: the MADT says which CPUs and which IOAPIC the machine has. */
#ifndef KAN_DRIVERS_ACPI_H
#define KAN_DRIVERS_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 64

struct madt_info {
	unsigned cpu_count;
	uint32_t apic_ids[ACPI_MAX_CPUS]; /* enabled processors, in MADT order */
	uint64_t ioapic_base;		  /* the IOAPIC serving GSI 0, or 0 */
	uint32_t isa_gsi[16];		  /* ISA IRQ -> GSI, after source overrides */
	uint16_t isa_flags[16];		  /* MPS INTI flags of the overrides (polarity, trigger) */
};

/*
 * Finds the MADT from GRUB's RSDP copy (or, failing that, the BIOS area) and reads the
 * enabled processors and the IOAPIC. False, with a reason in `why`, when there are no usable
 * tables.
 */
bool acpi_read_madt(const uint8_t *rsdp_copy, int rsdp_revision, struct madt_info *out,
		    const char **why);

#endif
