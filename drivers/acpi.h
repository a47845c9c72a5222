/*
 * ACPI tables, read at boot. acpi_init finds the table directory once; each table kan reads
 * (the MADT here; others in their own files) is looked up by signature.
 */
#ifndef KAN_DRIVERS_ACPI_H
#define KAN_DRIVERS_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/limits.h"

/* Every system description table starts with this header (ACPI 6.x, 5.2.6). */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

/*
 * Finds the RSDT or XSDT from GRUB's RSDP copy (rsdp_revision >= 0), or else from the BIOS
 * area. False, with a reason in `why`, when there are no usable tables.
 */
bool acpi_init(const uint8_t *rsdp_copy, int rsdp_revision, const char **why);

/* The `instance`-th table with this signature whose checksum holds, or NULL. */
const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance);

bool acpi_checksum_ok(const void *p, uint32_t len);

/* A Generic Address Structure (ACPI 6.x, 5.2.3.2). */
struct acpi_gas {
	uint8_t space; /* ACPI_SPACE_* */
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO	  1
#define ACPI_SPACE_PCI	  2

#define FADT_FLAG_TMR_VAL_EXT	 (1u << 8)  /* the PM timer counts 32 bits, not 24 */
#define FADT_FLAG_RESET_REG_SUP	 (1u << 10) /* RESET_REG and RESET_VALUE are valid */
#define FADT_FLAG_HW_REDUCED	 (1u << 20) /* no PM timer, no PM1 blocks, no legacy devices */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)  /* IAPC_BOOT_ARCH bits */
#define FADT_BOOT_8042		 (1u << 1)
#define FADT_BOOT_NO_VGA	 (1u << 2)
#define FADT_BOOT_NO_CMOS_RTC	 (1u << 5)

/* What kan uses of the FADT. Absent blocks have address 0. */
struct fadt_info {
	bool present;
	uint8_t revision;
	uint64_t dsdt;
	uint16_t sci_irq;
	uint32_t smi_cmd; /* port to write acpi_enable to, if SCI_EN is clear */
	uint8_t acpi_enable;
	uint32_t flags;	    /* FADT_FLAG_* */
	uint16_t boot_arch; /* FADT_BOOT_*; revision 1 tables read as a legacy PC with an 8042 */
	struct acpi_gas pm_timer;
	bool pm_timer_32bit;
	struct acpi_gas pm1a_cnt, pm1b_cnt, sleep_control;
	struct acpi_gas reset_reg; /* space 0 and address 0 unless RESET_REG_SUP */
	uint8_t reset_value;
	uint8_t century_cmos_index; /* 0: the RTC has no century register */
};

/* Reads a FADT whose length the caller has checked: pure, unit-tested. */
void acpi_fadt_parse(const struct acpi_header *fadt, struct fadt_info *out);

/* True for tables Bochs or QEMU wrote: OEM ID "BOCHS ", table ID starting "BXPC". Pure. */
bool acpi_written_by_emulator(const struct acpi_header *t);

/* The FADT after acpi_init; false (and a zeroed `out`) when there is none. */
bool acpi_read_fadt(struct fadt_info *out);

#define ACPI_MAX_CPUS KAN_MAX_CPUS

struct madt_info {
	unsigned cpu_count;
	uint32_t apic_ids[ACPI_MAX_CPUS]; /* enabled processors, each once, in MADT order */
	uint32_t max_apic_id;		  /* the highest of apic_ids */
	unsigned hotplug_count;		  /* online-capable but not enabled: not started */
	unsigned disabled_count;	  /* neither enabled nor online-capable: not started */
	unsigned duplicates;		  /* the same APIC ID listed again (type 0 and 9) */
	unsigned beyond_limit;		  /* enabled processors past ACPI_MAX_CPUS */
	uint32_t beyond_first_id, beyond_last_id; /* the first and last of those, by name */
	uint64_t ioapic_base;			  /* the IOAPIC serving GSI 0, or 0 */
	uint32_t isa_gsi[16];			  /* ISA IRQ -> GSI, after source overrides */
	uint16_t isa_flags[16]; /* MPS INTI flags of the overrides (polarity, trigger) */
};

/* Reads a MADT whose length the caller has checked: pure, unit-tested. */
void acpi_madt_parse(const struct acpi_header *madt, struct madt_info *out);

/* The MADT after acpi_init: false, with a reason, when there is none or it lists no CPU. */
bool acpi_read_madt(struct madt_info *out, const char **why);

#endif
