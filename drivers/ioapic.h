/* The IOAPIC and the legacy 8259 PICs: routing the one device interrupt kan uses (COM1). */
#ifndef KAN_DRIVERS_IOAPIC_H
#define KAN_DRIVERS_IOAPIC_H

#include <stdint.h>

#include "drivers/acpi.h"

/* Masks both 8259 PICs so that only the IOAPIC delivers device interrupts. */
void pic_disable(void);
/* Routes ISA `irq` (through the MADT's overrides) to `vector` on the CPU `apic_id`. */
void ioapic_route_isa_irq(const struct madt_info *madt, unsigned irq, uint8_t vector,
			  uint32_t apic_id);

#endif
