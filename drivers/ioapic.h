/* The IOAPIC: routing the one device interrupt kan uses (COM1). */
#ifndef KAN_DRIVERS_IOAPIC_H
#define KAN_DRIVERS_IOAPIC_H

#include <stdint.h>

#include "drivers/acpi.h"

/* Routes ISA `irq` (through the MADT's overrides) to `vector` on the CPU `apic_id`. */
void ioapic_route_isa_irq(const struct madt_info *madt, unsigned irq, uint8_t vector,
			  uint32_t apic_id);

#endif
