#include "kernel/devices/vioapic.h"
#include "kernel/string.h"

/*
 * What the model leaves out, and why:
 * - Delivery status (bit 12) always reads 0: a message leaves through ops->send at once, so it
 *   is never pending in the IOAPIC.
 * - Bits 55:48 (the extended destination some hypervisors give x2APIC guests without interrupt
 *   remapping) are kept for reads but ignored: kan does not advertise that feature, so Linux
 *   routes only to APIC IDs below 256, which bits 63:56 hold.
 * - SMI entries deliver nothing: a VM has no SMM.
 * - NMI, INIT and ExtINT entries deliver on the asserting edge whatever their trigger bit: the
 *   datasheet requires them to be programmed edge-triggered, and no EOI would ever clear a
 *   remote IRR for them.
 */

/* Bits a guest can write: all but delivery status, remote IRR and reserved bits 47:17. */
#define WRITABLE (~(VIOAPIC_DELIVERY_STATUS | VIOAPIC_REMOTE_IRR) & 0xffff00000001ffffull)

/* Reads of a register the datasheet does not define (selects 0x03-0x0f and past entry 23).
 * The datasheet leaves them undefined; all-ones is what a read nobody answers gives on a PC,
 * and what KVM returns. Writes to them are ignored. */
#define UNDEFINED_READ 0xffffffffu

void vioapic_init(struct vioapic *io, uint8_t id, const struct vioapic_ops *ops, void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->id = id & 0xf;
	io->ops = ops;
	io->ctx = ctx;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		io->redirect[pin] = VIOAPIC_MASKED;
}

static unsigned delivery_of(uint64_t entry)
{
	return (unsigned)(entry >> VIOAPIC_DELIVERY_SHIFT) & 7;
}

static bool asserted(const struct vioapic *io, unsigned pin)
{
	bool high = io->wires >> pin & 1;
	return high != !!(io->redirect[pin] & VIOAPIC_ACTIVE_LOW);
}

/* Level semantics apply to fixed and lowest-priority entries only (see the top of the file). */
static bool is_level(uint64_t entry)
{
	unsigned mode = delivery_of(entry);
	return (entry & VIOAPIC_LEVEL) &&
	       (mode == APIC_DELIVERY_FIXED || mode == APIC_DELIVERY_LOWEST);
}

/* Sends entry `pin`'s message; a level entry then waits for its EOI (remote IRR). */
static void deliver(struct vioapic *io, unsigned pin)
{
	uint64_t entry = io->redirect[pin];
	struct apic_msg msg = {
		.delivery = (uint8_t)delivery_of(entry),
		.shorthand = APIC_DEST_FIELD,
		.logical = !!(entry & VIOAPIC_LOGICAL),
		.assert = true,
		.dest = (uint32_t)(entry >> VIOAPIC_DEST_SHIFT),
	};
	switch (msg.delivery) {
	case APIC_DELIVERY_FIXED:
	case APIC_DELIVERY_LOWEST:
		msg.vector = (uint8_t)(entry & VIOAPIC_VECTOR);
		/* Vectors 0-15 are reserved for exceptions: a local APIC rejects them with an
		 * illegal-vector error and never EOIs them, which would leave a level entry's
		 * remote IRR set for good. Nothing is sent. */
		if (msg.vector < 16)
			return;
		msg.level = is_level(entry);
		break;
	case APIC_DELIVERY_NMI:
	case APIC_DELIVERY_INIT:
	case APIC_DELIVERY_EXTINT: /* the vector comes from the 8259 */
		break;
	default: /* SMI, and the reserved modes 3 and 6 */
		return;
	}
	if (msg.level)
		io->redirect[pin] |= VIOAPIC_REMOTE_IRR; /* before sending: send may EOI at once */
	io->ops->send(io->ctx, &msg);
}

/* A level entry delivers while its line is asserted, unmasked and not awaiting an EOI. */
static void service_level(struct vioapic *io, unsigned pin)
{
	uint64_t entry = io->redirect[pin];
	if (is_level(entry) && !(entry & (VIOAPIC_MASKED | VIOAPIC_REMOTE_IRR)) &&
	    asserted(io, pin))
		deliver(io, pin);
}

void vioapic_set_line(struct vioapic *io, unsigned pin, bool high)
{
	if (pin >= VIOAPIC_PINS)
		return;
	bool was = asserted(io, pin);
	if (high)
		io->wires |= 1u << pin;
	else
		io->wires &= ~(1u << pin);
	uint64_t entry = io->redirect[pin];
	if (is_level(entry))
		service_level(io, pin);
	else if (!was && asserted(io, pin) && !(entry & VIOAPIC_MASKED))
		deliver(io, pin); /* an edge while masked is lost, as on the 82093AA */
}

void vioapic_pulse(struct vioapic *io, unsigned pin)
{
	vioapic_set_line(io, pin, true);
	vioapic_set_line(io, pin, false);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		if ((io->redirect[pin] & VIOAPIC_VECTOR) != vector ||
		    !(io->redirect[pin] & VIOAPIC_REMOTE_IRR))
			continue;
		io->redirect[pin] &= ~VIOAPIC_REMOTE_IRR;
		service_level(io, pin);
	}
}

static uint32_t read_register(const struct vioapic *io)
{
	unsigned reg = io->select;
	if (reg == VIOAPIC_REG_ID || reg == VIOAPIC_REG_ARB)
		return (uint32_t)io->id << 24;
	if (reg == VIOAPIC_REG_VERSION)
		return VIOAPIC_VERSION;
	if (reg < VIOAPIC_REG_TABLE || reg >= VIOAPIC_REG_TABLE + 2 * VIOAPIC_PINS)
		return UNDEFINED_READ;
	uint64_t entry = io->redirect[(reg - VIOAPIC_REG_TABLE) / 2];
	return (uint32_t)(reg & 1 ? entry >> 32 : entry);
}

static void write_register(struct vioapic *io, uint32_t value)
{
	unsigned reg = io->select;
	if (reg == VIOAPIC_REG_ID) {
		io->id = (value >> 24) & 0xf;
		return;
	}
	if (reg < VIOAPIC_REG_TABLE || reg >= VIOAPIC_REG_TABLE + 2 * VIOAPIC_PINS)
		return; /* version, arbitration (read-only) and undefined registers */
	unsigned pin = (reg - VIOAPIC_REG_TABLE) / 2;
	uint64_t entry = io->redirect[pin];
	uint64_t half = reg & 1 ? 0xffffffff00000000ull : 0xffffffffull;
	uint64_t shifted = reg & 1 ? (uint64_t)value << 32 : value;
	entry = (entry & ~(half & WRITABLE)) | (shifted & half & WRITABLE);
	/* Remote IRR means nothing for an edge entry; clearing it here is also how old kernels
	 * unstick a level entry (switch to edge and back). */
	if (!is_level(entry))
		entry &= ~VIOAPIC_REMOTE_IRR;
	io->redirect[pin] = entry;
	service_level(io, pin); /* unmasked, or its polarity changed, with the line asserted */
}

void vioapic_mmio(struct vioapic *io, uint32_t offset, unsigned size, bool write, uint64_t *value)
{
	if (!write)
		*value = 0;
	if (size != 4)
		return; /* the registers take 32-bit accesses only */
	switch (offset) {
	case VIOAPIC_IOREGSEL:
		if (write)
			io->select = (uint8_t)*value;
		else
			*value = io->select;
		break;
	case VIOAPIC_IOWIN:
		if (write)
			write_register(io, (uint32_t)*value);
		else
			*value = read_register(io);
		break;
	case VIOAPIC_EOI:
		if (write)
			vioapic_eoi(io, (uint8_t)*value);
		break;
	}
}
