/*
 * A VM's virtual IOAPIC: 24 interrupt pins, each with a redirection entry that turns the pin's
 * wire into a message to the local APICs (struct apic_msg). A pure model: the wires come in
 * through vioapic_set_line/vioapic_pulse, the local APICs' EOIs through vioapic_eoi, and the
 * messages leave through ops->send; it knows nothing of vCPUs.
 *
 * Registers (82093AA datasheet, with the EOI register of the version 0x20 IOAPICs of Intel's
 * ICH chipsets): IOREGSEL at 0x00, IOWIN at 0x10, EOI at 0x40, 32-bit accesses only. Through
 * IOWIN: 0x00 ID (bits 27:24), 0x01 version (0x00170020), 0x02 arbitration (the ID, read-only),
 * 0x10 + 2n / 0x11 + 2n the low and high halves of entry n. Other selects (0x03-0x0f,
 * 0x40-0xff), which the datasheet leaves undefined, read 0xffffffff and ignore writes.
 */
#ifndef KAN_KERNEL_DEVICES_VIOAPIC_H
#define KAN_KERNEL_DEVICES_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/devices/apic_msg.h"

#define VIOAPIC_BASE 0xfec00000u
#define VIOAPIC_PINS 24

#define VIOAPIC_VERSION 0x00170020u /* maximum entry 23, version 0x20 (has the EOI register) */

/* Memory-mapped registers, as offsets in the IOAPIC's page. */
#define VIOAPIC_IOREGSEL 0x00
#define VIOAPIC_IOWIN	 0x10
#define VIOAPIC_EOI	 0x40

/* Registers selected by IOREGSEL. */
#define VIOAPIC_REG_ID	    0x00
#define VIOAPIC_REG_VERSION 0x01
#define VIOAPIC_REG_ARB	    0x02
#define VIOAPIC_REG_TABLE   0x10 /* entry n: low half 0x10 + 2n, high half 0x11 + 2n */

/* Redirection entry bits (82093AA datasheet, 3.2.4). */
#define VIOAPIC_VECTOR		0xffull
#define VIOAPIC_DELIVERY_SHIFT	8 /* 3 bits: enum apic_delivery */
#define VIOAPIC_LOGICAL		(1ull << 11)
#define VIOAPIC_DELIVERY_STATUS (1ull << 12) /* read-only; always 0 here (see vioapic.c) */
#define VIOAPIC_ACTIVE_LOW	(1ull << 13)
#define VIOAPIC_REMOTE_IRR	(1ull << 14) /* read-only: a level interrupt awaits its EOI */
#define VIOAPIC_LEVEL		(1ull << 15)
#define VIOAPIC_MASKED		(1ull << 16)
#define VIOAPIC_DEST_SHIFT	56 /* bits 63:56: an APIC ID or a logical mask */

struct vioapic_ops {
	void (*send)(void *ctx, const struct apic_msg *msg);
};

struct vioapic {
	uint8_t id;			 /* ID register bits 27:24 (4 bits) */
	uint8_t select;			 /* IOREGSEL bits 7:0 */
	uint32_t wires;			 /* bit n: pin n's wire is high (before polarity) */
	uint64_t redirect[VIOAPIC_PINS]; /* the entries, remote IRR included */
	const struct vioapic_ops *ops;
	void *ctx;
};

/* The reset state: every entry masked (and zero otherwise), all wires low. The ID register
 * keeps the low 4 bits of `id` (64-bit Linux names the IOAPIC by the MADT's ID, not by this). */
void vioapic_init(struct vioapic *io, uint8_t id, const struct vioapic_ops *ops, void *ctx);
/* MMIO at offset 0..0xfff of its page: IOREGSEL (0x00), IOWIN (0x10), EOI register (0x40).
 * Other offsets and sizes other than 4 read 0 and ignore writes. */
void vioapic_mmio(struct vioapic *io, uint32_t offset, unsigned size, bool write, uint64_t *value);
/* The wire of `pin` is now high (true) or low. Edge-triggered entries deliver on a rising edge;
 * level-triggered ones deliver while high and remote IRR is clear. Polarity applies: for an
 * active-low entry "high" is the idle state. */
void vioapic_set_line(struct vioapic *io, unsigned pin, bool high);
/* An edge source: the wire goes high then low (for an active-high entry). */
void vioapic_pulse(struct vioapic *io, unsigned pin);
/* A local APIC's EOI of a level-triggered `vector`: clears remote IRR of the entries with that
 * vector, and delivers again if the line is still asserted. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
