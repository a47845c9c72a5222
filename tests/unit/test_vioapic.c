/* The virtual IOAPIC (kernel/devices/vioapic.c): its registers through the MMIO page, and the
 * messages its wires and EOIs produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/vioapic.h"

static struct apic_msg sent[16];
static unsigned sent_count;

static void record(void *ctx, const struct apic_msg *msg)
{
	assert_ptr_equal(ctx, &sent_count);
	assert_true(sent_count < 16);
	sent[sent_count++] = *msg;
}

static const struct vioapic_ops ops = { .send = record };

static struct vioapic io;

static void fresh(void)
{
	memset(sent, 0, sizeof(sent));
	sent_count = 0;
	vioapic_init(&io, 4, &ops, &sent_count);
}

static void write32(uint32_t offset, uint32_t value)
{
	uint64_t v = value;
	vioapic_mmio(&io, offset, 4, true, &v);
}

static uint32_t read32(uint32_t offset)
{
	uint64_t v = 0x1234;
	vioapic_mmio(&io, offset, 4, false, &v);
	assert_true(v <= 0xffffffffu);
	return (uint32_t)v;
}

static uint32_t reg_read(uint8_t reg)
{
	write32(VIOAPIC_IOREGSEL, reg);
	return read32(VIOAPIC_IOWIN);
}

static void reg_write(uint8_t reg, uint32_t value)
{
	write32(VIOAPIC_IOREGSEL, reg);
	write32(VIOAPIC_IOWIN, value);
}

static uint64_t entry_read(unsigned pin)
{
	uint64_t low = reg_read((uint8_t)(0x10 + 2 * pin));
	return low | (uint64_t)reg_read((uint8_t)(0x11 + 2 * pin)) << 32;
}

/* High half first, the way Linux writes an entry it is about to unmask. */
static void entry_write(unsigned pin, uint64_t entry)
{
	reg_write((uint8_t)(0x11 + 2 * pin), (uint32_t)(entry >> 32));
	reg_write((uint8_t)(0x10 + 2 * pin), (uint32_t)entry);
}

#define FIXED(vector, dest) ((uint64_t)(vector) | (uint64_t)(dest) << 56)
#define MODE(m)		    ((uint64_t)(m) << 8)

/* ---- registers ---- */

static void reset_state_masks_every_entry(void **state)
{
	(void)state;
	fresh();
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(entry_read(pin), VIOAPIC_MASKED);
	assert_int_equal(reg_read(VIOAPIC_REG_VERSION), 0x00170020);
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 4u << 24);
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 4u << 24);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		vioapic_set_line(&io, pin, true);
	assert_int_equal(sent_count, 0);
}

static void the_id_register_keeps_bits_27_to_24(void **state)
{
	(void)state;
	fresh();
	reg_write(VIOAPIC_REG_ID, 0xffffffffu);
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 0x0f000000u);
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 0x0f000000u); /* loaded with the ID */
	reg_write(VIOAPIC_REG_ID, 0x02000000u);
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 0x02000000u);
}

static void version_and_arbitration_are_read_only(void **state)
{
	(void)state;
	fresh();
	reg_write(VIOAPIC_REG_VERSION, 0);
	reg_write(VIOAPIC_REG_ARB, 0x0a000000u);
	assert_int_equal(reg_read(VIOAPIC_REG_VERSION), 0x00170020);
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 4u << 24);
}

static void ioregsel_keeps_its_low_byte(void **state)
{
	(void)state;
	fresh();
	write32(VIOAPIC_IOREGSEL, 0x12345617u);
	assert_int_equal(read32(VIOAPIC_IOREGSEL), 0x17);
	write32(VIOAPIC_IOREGSEL, 0x101); /* selects the version register */
	assert_int_equal(read32(VIOAPIC_IOWIN), 0x00170020);
}

static void an_entry_keeps_its_writable_bits(void **state)
{
	(void)state;
	fresh();
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		entry_write(pin, ~0ull);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		/* not delivery status (12), remote IRR (14), reserved 47:17 */
		assert_int_equal(entry_read(pin), 0xffff00000001afffull);
	entry_write(5, FIXED(0x31, 0x02) | VIOAPIC_LOGICAL | VIOAPIC_MASKED);
	assert_int_equal(entry_read(5), FIXED(0x31, 0x02) | VIOAPIC_LOGICAL | VIOAPIC_MASKED);
	assert_int_equal(entry_read(4), 0xffff00000001afffull); /* its neighbours untouched */
	assert_int_equal(entry_read(6), 0xffff00000001afffull);
	reg_write(0x10 + 2 * 5, 0x41); /* one half alone */
	assert_int_equal(entry_read(5), FIXED(0x41, 0x02));
	reg_write(0x11 + 2 * 5, 0x07000000u);
	assert_int_equal(entry_read(5), FIXED(0x41, 0x07));
}

static void undefined_selects_read_all_ones_and_ignore_writes(void **state)
{
	(void)state;
	fresh();
	unsigned undefined[] = { 0x03, 0x08, 0x0f, 0x40, 0x41, 0x80, 0xff };
	for (unsigned i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++) {
		reg_write((uint8_t)undefined[i], 0);
		assert_int_equal(reg_read((uint8_t)undefined[i]), 0xffffffffu);
	}
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(entry_read(pin), VIOAPIC_MASKED);
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 4u << 24);
}

static void only_32_bit_accesses_to_the_three_registers_count(void **state)
{
	(void)state;
	fresh();
	write32(VIOAPIC_IOREGSEL, VIOAPIC_REG_VERSION);
	unsigned sizes[] = { 1, 2, 8 };
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = 0x1234;
		vioapic_mmio(&io, VIOAPIC_IOWIN, sizes[i], false, &v);
		assert_int_equal(v, 0);
		v = VIOAPIC_REG_ID;
		vioapic_mmio(&io, VIOAPIC_IOREGSEL, sizes[i], true, &v);
	}
	assert_int_equal(read32(VIOAPIC_IOREGSEL), VIOAPIC_REG_VERSION);
	unsigned offsets[] = { 0x04, 0x08, 0x14, 0x20, 0x30, 0x44, 0x80, 0xffc };
	for (unsigned i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		write32(offsets[i], VIOAPIC_REG_ID);
		assert_int_equal(read32(offsets[i]), 0);
	}
	assert_int_equal(read32(VIOAPIC_IOREGSEL), VIOAPIC_REG_VERSION);
	assert_int_equal(read32(VIOAPIC_EOI), 0); /* write-only */
}

/* ---- delivery ---- */

static void an_edge_entry_sends_on_each_rising_edge(void **state)
{
	(void)state;
	fresh();
	entry_write(3, FIXED(0x33, 1));
	assert_int_equal(sent_count, 0);
	vioapic_pulse(&io, 3);
	assert_int_equal(sent_count, 1);
	assert_int_equal(sent[0].vector, 0x33);
	assert_int_equal(sent[0].delivery, APIC_DELIVERY_FIXED);
	assert_int_equal(sent[0].shorthand, APIC_DEST_FIELD);
	assert_false(sent[0].logical);
	assert_false(sent[0].level);
	assert_true(sent[0].assert);
	assert_int_equal(sent[0].dest, 1);
	assert_false(sent[0].x2apic);
	assert_int_equal(entry_read(3) & VIOAPIC_REMOTE_IRR, 0);
	vioapic_set_line(&io, 3, true);
	vioapic_set_line(&io, 3, true); /* still high: no new edge */
	assert_int_equal(sent_count, 2);
	vioapic_set_line(&io, 3, false);
	vioapic_set_line(&io, 3, true);
	assert_int_equal(sent_count, 3);
	vioapic_pulse(&io, 4); /* another pin, masked */
	assert_int_equal(sent_count, 3);
}

static void a_masked_edge_is_lost(void **state)
{
	(void)state;
	fresh();
	entry_write(2, FIXED(0x30, 0) | VIOAPIC_MASKED);
	vioapic_set_line(&io, 2, true);
	entry_write(2, FIXED(0x30, 0)); /* unmasked with the wire high: no edge */
	assert_int_equal(sent_count, 0);
	vioapic_set_line(&io, 2, false);
	vioapic_set_line(&io, 2, true);
	assert_int_equal(sent_count, 1);
}

static void a_level_entry_waits_for_its_eoi(void **state)
{
	(void)state;
	fresh();
	entry_write(9, FIXED(0x39, 0) | VIOAPIC_LEVEL);
	vioapic_set_line(&io, 9, true);
	assert_int_equal(sent_count, 1);
	assert_true(sent[0].level);
	assert_int_equal(sent[0].vector, 0x39);
	assert_true(entry_read(9) & VIOAPIC_REMOTE_IRR);
	vioapic_set_line(&io, 9, true);
	vioapic_eoi(&io, 0x38); /* another vector */
	assert_int_equal(sent_count, 1);
	vioapic_eoi(&io, 0x39); /* still high: again */
	assert_int_equal(sent_count, 2);
	assert_true(entry_read(9) & VIOAPIC_REMOTE_IRR);
	vioapic_set_line(&io, 9, false);
	write32(VIOAPIC_EOI, 0x39); /* through the EOI register */
	assert_int_equal(sent_count, 2);
	assert_int_equal(entry_read(9) & VIOAPIC_REMOTE_IRR, 0);
	vioapic_set_line(&io, 9, true);
	assert_int_equal(sent_count, 3);
}

static void an_eoi_clears_every_entry_with_its_vector(void **state)
{
	(void)state;
	fresh();
	entry_write(10, FIXED(0x40, 0) | VIOAPIC_LEVEL);
	entry_write(11, FIXED(0x40, 1) | VIOAPIC_LEVEL);
	vioapic_set_line(&io, 10, true);
	vioapic_set_line(&io, 11, true);
	assert_int_equal(sent_count, 2);
	vioapic_set_line(&io, 11, false);
	vioapic_eoi(&io, 0x40);
	assert_int_equal(sent_count, 3); /* pin 10 only */
	assert_int_equal(sent[2].dest, 0);
	assert_int_equal(entry_read(11) & VIOAPIC_REMOTE_IRR, 0);
}

static void a_masked_level_line_sends_when_unmasked(void **state)
{
	(void)state;
	fresh();
	entry_write(7, FIXED(0x37, 0) | VIOAPIC_LEVEL | VIOAPIC_MASKED);
	vioapic_set_line(&io, 7, true);
	assert_int_equal(sent_count, 0);
	assert_int_equal(entry_read(7) & VIOAPIC_REMOTE_IRR, 0);
	entry_write(7, FIXED(0x37, 0) | VIOAPIC_LEVEL);
	assert_int_equal(sent_count, 1);
	/* masked again while waiting: the EOI clears remote IRR, the mask holds the line */
	entry_write(7, FIXED(0x37, 0) | VIOAPIC_LEVEL | VIOAPIC_MASKED);
	vioapic_eoi(&io, 0x37);
	assert_int_equal(sent_count, 1);
	assert_int_equal(entry_read(7) & VIOAPIC_REMOTE_IRR, 0);
}

static void writing_an_entry_keeps_remote_irr_unless_edge(void **state)
{
	(void)state;
	fresh();
	entry_write(8, FIXED(0x48, 0) | VIOAPIC_LEVEL);
	vioapic_set_line(&io, 8, true);
	entry_write(8, FIXED(0x48, 3) | VIOAPIC_LEVEL); /* a new destination, same vector */
	assert_true(entry_read(8) & VIOAPIC_REMOTE_IRR);
	assert_int_equal(sent_count, 1);
	entry_write(8, FIXED(0x48, 3)); /* edge: remote IRR goes */
	assert_int_equal(entry_read(8) & VIOAPIC_REMOTE_IRR, 0);
	entry_write(8, FIXED(0x48, 3) | VIOAPIC_LEVEL); /* and level again: the line is high */
	assert_int_equal(sent_count, 2);
	assert_int_equal(sent[1].dest, 3);
}

static void active_low_inverts_the_wire(void **state)
{
	(void)state;
	fresh();
	vioapic_set_line(&io, 12, true); /* the idle state of an active-low wire */
	vioapic_set_line(&io, 13, true);
	entry_write(12, FIXED(0x52, 0) | VIOAPIC_ACTIVE_LOW | VIOAPIC_LEVEL);
	entry_write(13, FIXED(0x53, 0) | VIOAPIC_ACTIVE_LOW);
	assert_int_equal(sent_count, 0);
	vioapic_set_line(&io, 12, false);
	assert_int_equal(sent_count, 1);
	assert_int_equal(sent[0].vector, 0x52);
	vioapic_set_line(&io, 12, true);
	vioapic_eoi(&io, 0x52);
	assert_int_equal(sent_count, 1);
	vioapic_set_line(&io, 13, false); /* the falling edge */
	assert_int_equal(sent_count, 2);
	assert_int_equal(sent[1].vector, 0x53);
	vioapic_set_line(&io, 13, true);
	assert_int_equal(sent_count, 2);
	/* turning a low wire's entry active-low asserts a level line */
	vioapic_set_line(&io, 14, false);
	entry_write(14, FIXED(0x54, 0) | VIOAPIC_LEVEL);
	assert_int_equal(sent_count, 2);
	entry_write(14, FIXED(0x54, 0) | VIOAPIC_LEVEL | VIOAPIC_ACTIVE_LOW);
	assert_int_equal(sent_count, 3);
}

static void each_delivery_mode_sends_its_message(void **state)
{
	(void)state;
	fresh();
	entry_write(0, FIXED(0x60, 0x0f) | MODE(APIC_DELIVERY_LOWEST) | VIOAPIC_LOGICAL);
	entry_write(1, FIXED(0x61, 2) | MODE(APIC_DELIVERY_NMI));
	entry_write(2, FIXED(0x62, 3) | MODE(APIC_DELIVERY_INIT));
	entry_write(3, FIXED(0x63, 0) | MODE(APIC_DELIVERY_EXTINT));
	entry_write(4, FIXED(0x64, 0) | MODE(APIC_DELIVERY_SMI));
	entry_write(5, FIXED(0x65, 0) | MODE(3)); /* reserved */
	entry_write(6, FIXED(0x66, 0) | MODE(6)); /* reserved (SIPI is the ICR's only) */
	for (unsigned pin = 0; pin < 7; pin++)
		vioapic_pulse(&io, pin);
	assert_int_equal(sent_count, 4);
	assert_int_equal(sent[0].delivery, APIC_DELIVERY_LOWEST);
	assert_int_equal(sent[0].vector, 0x60);
	assert_true(sent[0].logical);
	assert_int_equal(sent[0].dest, 0x0f);
	assert_int_equal(sent[1].delivery, APIC_DELIVERY_NMI);
	assert_int_equal(sent[1].dest, 2);
	assert_int_equal(sent[2].delivery, APIC_DELIVERY_INIT);
	assert_true(sent[2].assert);
	assert_int_equal(sent[2].dest, 3);
	assert_int_equal(sent[3].delivery, APIC_DELIVERY_EXTINT);
	for (unsigned i = 1; i < 4; i++) {
		assert_int_equal(sent[i].vector, 0); /* ignored by these modes */
		assert_false(sent[i].level);
		assert_false(sent[i].logical);
	}
}

static void nmi_init_and_extint_are_edge_whatever_their_trigger_bit(void **state)
{
	(void)state;
	fresh();
	entry_write(1, MODE(APIC_DELIVERY_NMI) | VIOAPIC_LEVEL);
	entry_write(2, MODE(APIC_DELIVERY_INIT) | VIOAPIC_LEVEL);
	entry_write(3, MODE(APIC_DELIVERY_EXTINT) | VIOAPIC_LEVEL);
	for (unsigned pin = 1; pin < 4; pin++) {
		vioapic_set_line(&io, pin, true);
		vioapic_set_line(&io, pin, true);
		assert_int_equal(entry_read(pin) & VIOAPIC_REMOTE_IRR, 0);
	}
	assert_int_equal(sent_count, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_false(sent[i].level);
}

static void vectors_below_16_are_not_sent(void **state)
{
	(void)state;
	fresh();
	entry_write(0, FIXED(0x0f, 0));
	entry_write(1, FIXED(0x02, 0) | VIOAPIC_LEVEL);
	entry_write(2, FIXED(0x00, 0) | MODE(APIC_DELIVERY_LOWEST));
	entry_write(3, FIXED(0x10, 0)); /* the first legal one */
	for (unsigned pin = 0; pin < 4; pin++)
		vioapic_set_line(&io, pin, true);
	assert_int_equal(sent_count, 1);
	assert_int_equal(sent[0].vector, 0x10);
	assert_int_equal(entry_read(1) & VIOAPIC_REMOTE_IRR, 0);
}

static void destinations_physical_logical_and_broadcast(void **state)
{
	(void)state;
	fresh();
	entry_write(0, FIXED(0x70, 0x05));
	entry_write(1, FIXED(0x71, 0xa5) | VIOAPIC_LOGICAL);
	entry_write(2, FIXED(0x72, 0xff));
	entry_write(3, FIXED(0x73, 0x01) | 0x00ab000000000000ull); /* extended destination */
	for (unsigned pin = 0; pin < 4; pin++)
		vioapic_pulse(&io, pin);
	assert_int_equal(sent_count, 4);
	assert_int_equal(sent[0].dest, 0x05);
	assert_false(sent[0].logical);
	assert_int_equal(sent[1].dest, 0xa5);
	assert_true(sent[1].logical);
	assert_int_equal(sent[2].dest, 0xff); /* xAPIC broadcast: the local APICs decide */
	assert_int_equal(sent[3].dest, 0x01); /* bits 55:48 ignored */
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(sent[i].shorthand, APIC_DEST_FIELD);
		assert_false(sent[i].x2apic);
	}
}

static void pins_beyond_23_are_ignored(void **state)
{
	(void)state;
	fresh();
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		entry_write(pin, FIXED(0x80 + pin, 0));
	vioapic_set_line(&io, VIOAPIC_PINS, true);
	vioapic_pulse(&io, 31);
	vioapic_pulse(&io, 1000);
	assert_int_equal(sent_count, 0);
	vioapic_pulse(&io, VIOAPIC_PINS - 1);
	assert_int_equal(sent_count, 1);
	assert_int_equal(sent[0].vector, 0x80 + VIOAPIC_PINS - 1);
}

/* A local APIC that EOIs inside send (as a guest that acknowledges at once would, seen from
 * here) finds remote IRR already set, so the re-delivery happens once per EOI, not recursively
 * for ever. */
static unsigned eoi_depth;
static void send_then_eoi(void *ctx, const struct apic_msg *msg)
{
	record(ctx, msg);
	if (sent_count < 3 && eoi_depth++ < 8)
		vioapic_eoi(&io, msg->vector);
}

static void an_eoi_inside_send_redelivers(void **state)
{
	(void)state;
	static const struct vioapic_ops eager = { .send = send_then_eoi };
	fresh();
	eoi_depth = 0;
	vioapic_init(&io, 0, &eager, &sent_count);
	entry_write(9, FIXED(0x49, 0) | VIOAPIC_LEVEL);
	vioapic_set_line(&io, 9, true);
	assert_int_equal(sent_count, 3);
	assert_true(entry_read(9) & VIOAPIC_REMOTE_IRR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reset_state_masks_every_entry),
		cmocka_unit_test(the_id_register_keeps_bits_27_to_24),
		cmocka_unit_test(version_and_arbitration_are_read_only),
		cmocka_unit_test(ioregsel_keeps_its_low_byte),
		cmocka_unit_test(an_entry_keeps_its_writable_bits),
		cmocka_unit_test(undefined_selects_read_all_ones_and_ignore_writes),
		cmocka_unit_test(only_32_bit_accesses_to_the_three_registers_count),
		cmocka_unit_test(an_edge_entry_sends_on_each_rising_edge),
		cmocka_unit_test(a_masked_edge_is_lost),
		cmocka_unit_test(a_level_entry_waits_for_its_eoi),
		cmocka_unit_test(an_eoi_clears_every_entry_with_its_vector),
		cmocka_unit_test(a_masked_level_line_sends_when_unmasked),
		cmocka_unit_test(writing_an_entry_keeps_remote_irr_unless_edge),
		cmocka_unit_test(active_low_inverts_the_wire),
		cmocka_unit_test(each_delivery_mode_sends_its_message),
		cmocka_unit_test(nmi_init_and_extint_are_edge_whatever_their_trigger_bit),
		cmocka_unit_test(vectors_below_16_are_not_sent),
		cmocka_unit_test(destinations_physical_logical_and_broadcast),
		cmocka_unit_test(pins_beyond_23_are_ignored),
		cmocka_unit_test(an_eoi_inside_send_redelivers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
