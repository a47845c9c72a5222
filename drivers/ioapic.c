#include "drivers/ioapic.h"
#include "arch/x86_64/cpu.h"

/* IOAPIC registers (82093AA data sheet): an index/data window and the redirection table. */
#define IOREGSEL    0x00
#define IOWIN	    0x10
#define IOREDTBL(n) (0x10 + 2 * (n))

/* MPS INTI flags in an interrupt source override (ACPI 5.2.12.5). */
#define INTI_POLARITY_MASK 0x3
#define INTI_ACTIVE_LOW	   0x3
#define INTI_TRIGGER_MASK  0xc
#define INTI_LEVEL	   0xc

#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_LEVEL      (1u << 15)

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t value)
{
	volatile uint32_t *io = (volatile uint32_t *)(uintptr_t)base;
	io[IOREGSEL / 4] = reg;
	io[IOWIN / 4] = value;
}

void ioapic_route_isa_irq(const struct madt_info *madt, unsigned irq, uint8_t vector,
			  uint32_t apic_id)
{
	uint32_t gsi = madt->isa_gsi[irq];
	uint16_t flags = madt->isa_flags[irq];
	uint32_t low = vector; /* fixed delivery, physical destination, unmasked */
	if ((flags & INTI_POLARITY_MASK) == INTI_ACTIVE_LOW)
		low |= RTE_ACTIVE_LOW;
	if ((flags & INTI_TRIGGER_MASK) == INTI_LEVEL)
		low |= RTE_LEVEL;
	ioapic_write(madt->ioapic_base, IOREDTBL(gsi) + 1, apic_id << 24);
	ioapic_write(madt->ioapic_base, IOREDTBL(gsi), low);
}
