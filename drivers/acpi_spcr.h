/* The ACPI Serial Port Console Redirection table: the UART the firmware uses as its console,
 * often the server's serial-over-LAN port. */
#ifndef KAN_DRIVERS_ACPI_SPCR_H
#define KAN_DRIVERS_ACPI_SPCR_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/acpi.h"

/* Interface types (Microsoft's DBG2 list) kan can drive: a 16550 at an I/O port. */
#define SPCR_INTERFACE_16550	 0x00
#define SPCR_INTERFACE_16450	 0x01
#define SPCR_INTERFACE_16550_GAS 0x12 /* 16550-compatible, the address says where */
#define SPCR_INTERRUPT_PC_AT	 0x01 /* interrupt type bit: an ISA IRQ of the 8259 */

struct spcr_info {
	bool present;
	uint8_t interface;    /* SPCR_INTERFACE_* or another type kan does not drive */
	struct acpi_gas base; /* ACPI_SPACE_IO (a port) or ACPI_SPACE_MEMORY (MMIO) */
	uint8_t isa_irq;      /* 0 unless the PC-AT interrupt type is set */
	uint32_t baud;	      /* 0: as the firmware left it */
};

/* Reads an SPCR whose length the caller has checked: pure, unit-tested. */
void acpi_spcr_parse(const struct acpi_header *spcr, struct spcr_info *out);
/* The SPCR after acpi_init; false (and a zeroed `out`) when there is none. */
bool acpi_read_spcr(struct spcr_info *out);
/* The I/O port of a 16550 kan can use, or 0 (MMIO, another interface, no table). */
uint16_t spcr_io_port(const struct spcr_info *spcr);

#endif
