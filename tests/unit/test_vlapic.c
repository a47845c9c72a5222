/* The virtual local APIC (kernel/devices/vlapic.c, vlapic_regs.c), driven with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/vlapic.h"

static uint64_t fake_tsc;
static struct apic_msg sent[8];
static struct vlapic *sent_from;
static unsigned sends;
static int eoi_level_vector;
static unsigned eoi_level_calls;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_tsc;
}

static void record_send(void *ctx, struct vlapic *from, const struct apic_msg *msg)
{
	(void)ctx;
	sent[sends++ % 8] = *msg;
	sent_from = from;
}

static void record_eoi_level(void *ctx, uint8_t vector)
{
	(void)ctx;
	eoi_level_vector = vector;
	eoi_level_calls++;
}

static const struct vlapic_ops ops = { fake_now, record_send, record_eoi_level };
static struct vlapic lapic;

static int setup(void **state)
{
	(void)state;
	fake_tsc = 1000000;
	sends = 0, eoi_level_calls = 0, eoi_level_vector = -1;
	vlapic_init(&lapic, 3, true, &ops, NULL);
	return 0;
}

static uint32_t rd(struct vlapic *l, uint32_t offset)
{
	uint64_t v = 0xdeadbeef;
	vlapic_mmio(l, offset, 4, false, &v);
	return (uint32_t)v;
}

static void wr(struct vlapic *l, uint32_t offset, uint32_t value)
{
	uint64_t v = value;
	vlapic_mmio(l, offset, 4, true, &v);
}

static uint64_t msr(struct vlapic *l, uint32_t index)
{
	uint64_t v = 0;
	assert_int_equal(vlapic_msr_read(l, index, &v), 0);
	return v;
}

static void enable_x2apic(struct vlapic *l)
{
	assert_int_equal(vlapic_msr_write(l, 0x1b, 0xfee00000 | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD),
			 0);
}

/* The ESR as software reads it: write to latch, then read. */
static uint32_t esr(struct vlapic *l)
{
	wr(l, 0x280, 0);
	return rd(l, 0x280);
}

static bool in_irr(const struct vlapic *l, unsigned v)
{
	return l->irr[v / 32] & (1u << (v % 32));
}

static struct apic_msg fixed(uint8_t vector)
{
	return (struct apic_msg){ .vector = vector, .delivery = APIC_DELIVERY_FIXED };
}

static void power_on_state(void **state)
{
	(void)state;
	assert_int_equal(rd(&lapic, 0x20), 3u << 24);
	assert_int_equal(rd(&lapic, 0x30), 0x50014);
	assert_int_equal(rd(&lapic, 0xf0), 0xff);
	assert_int_equal(rd(&lapic, 0xe0), 0xffffffff);
	for (uint32_t off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(rd(&lapic, off), 0x10000);
	assert_int_equal(msr(&lapic, 0x1b), 0xfee00900);
	assert_true(vlapic_xapic_mmio_active(&lapic));
	struct vlapic ap;
	vlapic_init(&ap, 1, false, &ops, NULL);
	assert_int_equal(msr(&ap, 0x1b), 0xfee00800);
	assert_int_equal(ap.sipi_vector, -1);
	assert_int_equal(vlapic_next_event(&ap), UINT64_MAX);
}

static void xapic_register_rules(void **state)
{
	(void)state;
	/* read-only registers ignore writes */
	uint32_t ro[] = { 0x20, 0x30, 0x90, 0xa0, 0x100, 0x180, 0x200, 0x390 };
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = rd(&lapic, ro[i]);
		wr(&lapic, ro[i], 0xffffffff);
		assert_int_equal(rd(&lapic, ro[i]), before);
	}
	wr(&lapic, 0x80, 0x1ff);
	assert_int_equal(rd(&lapic, 0x80), 0xff);
	assert_int_equal(rd(&lapic, 0x90), 0); /* APR */
	wr(&lapic, 0xd0, 0xffffffff);
	assert_int_equal(rd(&lapic, 0xd0), 0xff000000);
	wr(&lapic, 0xe0, 0);
	assert_int_equal(rd(&lapic, 0xe0), 0x0fffffff);
	wr(&lapic, 0xf0, 0xffffffff);
	assert_int_equal(rd(&lapic, 0xf0), 0x3ff);
	wr(&lapic, 0x310, 0xffffffff);
	assert_int_equal(rd(&lapic, 0x310), 0xff000000);
	wr(&lapic, 0x300, 0xffffffff & ~0x700u); /* fixed, vector 0xff, shorthand all-but-self */
	assert_int_equal(rd(&lapic, 0x300) & (1u << 12), 0); /* delivery status reads 0 */
	wr(&lapic, 0x350, 0xffffffff); /* LINT0: remote IRR (14) and status (12) read-only */
	assert_int_equal(rd(&lapic, 0x350), 0x1a7ff);
	wr(&lapic, 0x320, 0xffffffff);
	assert_int_equal(rd(&lapic, 0x320), 0x700ff);
	wr(&lapic, 0x370, 0xffffffff);
	assert_int_equal(rd(&lapic, 0x370), 0x100ff);
	wr(&lapic, 0x3e0, 0xffffffff);
	assert_int_equal(rd(&lapic, 0x3e0), 0xb);
	assert_int_equal(esr(&lapic), 0);
	/* not a 4-byte aligned 32-bit access of a register's first 4 bytes: read 0, no write */
	uint64_t v = 0x12;
	vlapic_mmio(&lapic, 0x80, 1, true, &v);
	assert_int_equal(rd(&lapic, 0x80), 0xff);
	vlapic_mmio(&lapic, 0x84, 4, false, &v);
	assert_int_equal(v, 0);
	vlapic_mmio(&lapic, 0x80, 8, false, &v);
	assert_int_equal(v, 0);
	vlapic_mmio(&lapic, 0x22, 2, false, &v);
	assert_int_equal(v, 0);
	/* an offset naming no register (0x040, and SELF IPI which is x2APIC only) sets ESR bit 7 */
	assert_int_equal(rd(&lapic, 0x40), 0);
	assert_int_equal(esr(&lapic), VLAPIC_ESR_ILLEGAL_REGISTER);
	wr(&lapic, 0x3f0, 0x40);
	assert_int_equal(esr(&lapic), VLAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(esr(&lapic), 0);
	/* every x2APIC MSR is #GP in xAPIC mode */
	uint64_t out;
	assert_int_equal(vlapic_msr_read(&lapic, 0x802, &out), -1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x808, 0), -1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x83f, 0x40), -1);
	assert_int_equal(sends, 1); /* only the ICR write above */
}

static void x2apic_register_rules(void **state)
{
	(void)state;
	struct vlapic l;
	vlapic_init(&l, 0x123, false, &ops, NULL);
	enable_x2apic(&l);
	assert_false(vlapic_xapic_mmio_active(&l));
	assert_true(vlapic_x2apic(&l));
	assert_int_equal(msr(&l, 0x802), 0x123);
	assert_int_equal(msr(&l, 0x803), 0x50014);
	assert_int_equal(msr(&l, 0x80d), (0x12u << 16) | (1u << 3)); /* LDR from the ID */
	uint64_t v;
	/* read-only registers: WRMSR #GP */
	uint32_t ro[] = { 0x802, 0x803, 0x80a, 0x80d, 0x810, 0x818, 0x820, 0x839 };
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		assert_int_equal(vlapic_msr_write(&l, ro[i], 0), -1);
	/* write-only registers: RDMSR #GP */
	assert_int_equal(vlapic_msr_read(&l, 0x80b, &v), -1);
	assert_int_equal(vlapic_msr_read(&l, 0x83f, &v), -1);
	/* registers x2APIC does not have */
	uint32_t none[] = { 0x800, 0x801, 0x809, 0x80c, 0x80e, 0x831, 0x83a, 0x8ff };
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		assert_int_equal(vlapic_msr_read(&l, none[i], &v), -1);
		assert_int_equal(vlapic_msr_write(&l, none[i], 0), -1);
	}
	/* EOI and ESR take only 0 */
	assert_int_equal(vlapic_msr_write(&l, 0x80b, 1), -1);
	assert_int_equal(vlapic_msr_write(&l, 0x80b, 0), 0);
	assert_int_equal(vlapic_msr_write(&l, 0x828, 1), -1);
	assert_int_equal(vlapic_msr_write(&l, 0x828, 0), 0);
	/* bits 63:32 of a 32-bit register are reserved */
	assert_int_equal(vlapic_msr_write(&l, 0x808, 1ull << 32), -1);
	assert_int_equal(vlapic_msr_write(&l, 0x808, 0x20), 0);
	assert_int_equal(msr(&l, 0x808), 0x20);
	assert_int_equal(vlapic_msr_write(&l, 0x80f, 0x1ff), 0);
	assert_int_equal(msr(&l, 0x80f), 0x1ff);
	/* the ICR is one 64-bit register */
	assert_int_equal(vlapic_msr_write(&l, 0x830, (0x456ull << 32) | 0x4041), 0);
	assert_int_equal(msr(&l, 0x830), (0x456ull << 32) | 0x4041);
}

static void sw_disable_masks_lvts(void **state)
{
	(void)state;
	wr(&lapic, 0x350, 0x700); /* software-disabled: stays masked */
	assert_int_equal(rd(&lapic, 0x350), 0x10700);
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x350, 0x700);
	wr(&lapic, 0x320, 0x40);
	assert_int_equal(rd(&lapic, 0x350), 0x700);
	wr(&lapic, 0xf0, 0xff);
	assert_int_equal(rd(&lapic, 0x350), 0x10700);
	assert_int_equal(rd(&lapic, 0x320), 0x10040);
	/* fixed interrupts are dropped, NMI still accepted */
	struct apic_msg m = fixed(0x40);
	vlapic_accept(&lapic, &m);
	assert_false(in_irr(&lapic, 0x40));
	m.delivery = APIC_DELIVERY_NMI;
	vlapic_accept(&lapic, &m);
	assert_true(lapic.nmi_pending);
}

static void mode_transitions(void **state)
{
	(void)state;
	const uint64_t base = 0xfee00000, en = VLAPIC_BASE_EN, extd = VLAPIC_BASE_EXTD;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x80, 0x30);
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | extd), -1);   /* invalid state */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | 1), -1); /* reserved bit */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | (1 << 9)), -1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | (1ull << 52)), -1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, 0xfec00000 | en), -1); /* moved */
	/* xAPIC -> x2APIC keeps the registers */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | extd), 0);
	assert_int_equal(msr(&lapic, 0x1b), base | en | extd | VLAPIC_BASE_BSP); /* BSP stays */
	assert_int_equal(msr(&lapic, 0x808), 0x30);
	/* x2APIC -> xAPIC directly is #GP */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en), -1);
	assert_true(vlapic_x2apic(&lapic));
	/* x2APIC -> disabled resets the registers but keeps the ID */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base), 0);
	assert_false(vlapic_hw_enabled(&lapic));
	assert_false(vlapic_xapic_mmio_active(&lapic));
	assert_int_equal(lapic.tpr, 0);
	assert_int_equal(lapic.svr, 0xff);
	/* disabled -> x2APIC directly is #GP, disabled -> xAPIC is fine */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | extd), -1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en), 0);
	assert_true(vlapic_xapic_mmio_active(&lapic));
	assert_int_equal(rd(&lapic, 0x20), 3u << 24);
	/* writing BSP does not change it */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, base | en | VLAPIC_BASE_BSP), 0);
	struct vlapic ap;
	vlapic_init(&ap, 1, false, &ops, NULL);
	assert_int_equal(vlapic_msr_write(&ap, 0x1b, base | en | VLAPIC_BASE_BSP), 0);
	assert_int_equal(msr(&ap, 0x1b), base | en);
}

static void init_signal_resets_all_but_id_and_mode(void **state)
{
	(void)state;
	enable_x2apic(&lapic);
	assert_int_equal(vlapic_msr_write(&lapic, 0x80f, 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(&lapic, 0x808, 0x50), 0);
	assert_int_equal(vlapic_msr_write(&lapic, 0x838, 1000), 0);
	struct apic_msg m = fixed(0x40);
	vlapic_accept(&lapic, &m);
	m = (struct apic_msg){ .delivery = APIC_DELIVERY_INIT, .assert = true };
	vlapic_accept(&lapic, &m);
	assert_true(lapic.init_pending);
	m = (struct apic_msg){ .delivery = APIC_DELIVERY_SIPI, .vector = 0x9a };
	vlapic_accept(&lapic, &m);
	vlapic_init_signal(&lapic);
	assert_false(lapic.init_pending);
	assert_int_equal(lapic.sipi_vector, 0x9a); /* kernel/ consumes it */
	assert_true(vlapic_x2apic(&lapic));
	assert_int_equal(msr(&lapic, 0x802), 3);
	assert_int_equal(msr(&lapic, 0x808), 0);
	assert_int_equal(msr(&lapic, 0x80f), 0xff);
	assert_int_equal(msr(&lapic, 0x838), 0);
	assert_int_equal(msr(&lapic, 0x832), 0x10000);
	assert_int_equal(vlapic_pending(&lapic), -1);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	/* an INIT level de-assert is no INIT */
	m = (struct apic_msg){ .delivery = APIC_DELIVERY_INIT, .level = true, .assert = false };
	vlapic_accept(&lapic, &m);
	assert_false(lapic.init_pending);
}

static void eoi_nested_order(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	struct apic_msg m = fixed(0x41);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), 0x41);
	vlapic_ack(&lapic, 0x41);
	assert_int_equal(vlapic_pending(&lapic), -1);
	m = fixed(0x45); /* same class as the one in service: waits */
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), -1);
	m = fixed(0x81); /* a higher class nests */
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), 0x81);
	vlapic_ack(&lapic, 0x81);
	assert_int_equal(rd(&lapic, 0x100 + 0x10 * (0x81 / 32)), 1u << (0x81 % 32));
	assert_int_equal(rd(&lapic, 0xa0), 0x80);
	wr(&lapic, 0xb0, 0); /* EOI ends 0x81, the highest in service */
	assert_int_equal(rd(&lapic, 0x100 + 0x10 * (0x81 / 32)), 0);
	assert_int_equal(rd(&lapic, 0x100 + 0x10 * (0x41 / 32)), 1u << (0x41 % 32));
	assert_int_equal(rd(&lapic, 0xa0), 0x40);
	assert_int_equal(vlapic_pending(&lapic), -1);
	wr(&lapic, 0xb0, 0); /* then 0x41, and 0x45 may come */
	assert_int_equal(vlapic_pending(&lapic), 0x45);
	assert_int_equal(eoi_level_calls, 0);
}

static void tpr_ppr_masking(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x80, 0x50);
	assert_int_equal(rd(&lapic, 0xa0), 0x50);
	struct apic_msg m = fixed(0x5f);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), -1);
	vlapic_set_tpr(&lapic, 0x40); /* a CR8 write of 4 */
	assert_int_equal(rd(&lapic, 0x80), 0x40);
	assert_int_equal(vlapic_get_tpr(&lapic) >> 4, 4);
	assert_int_equal(vlapic_pending(&lapic), 0x5f);
	vlapic_ack(&lapic, 0x5f);
	assert_int_equal(vlapic_ppr(&lapic), 0x50); /* the ISR class is above the TPR */
	vlapic_set_tpr(&lapic, 0x6a);
	assert_int_equal(vlapic_ppr(&lapic), 0x6a); /* the TPR is above the ISR class */
	m = fixed(0x70);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), 0x70);
	m = fixed(0x65);
	vlapic_accept(&lapic, &m);
	vlapic_set_tpr(&lapic, 0x70);
	assert_int_equal(vlapic_pending(&lapic), -1);
}

static void arbitration_priority(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	assert_int_equal(vlapic_priority(&lapic), 0);
	vlapic_set_tpr(&lapic, 0x35);
	assert_int_equal(vlapic_priority(&lapic), 0x35); /* TPR above IRR and ISR */
	struct apic_msg m = fixed(0x51);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_priority(&lapic), 0x50); /* the IRR class */
	vlapic_ack(&lapic, 0x51);
	m = fixed(0x61);
	vlapic_accept(&lapic, &m);
	vlapic_set_tpr(&lapic, 0x70);
	assert_int_equal(vlapic_priority(&lapic), 0x70);
	vlapic_set_tpr(&lapic, 0);
	assert_int_equal(vlapic_priority(&lapic), 0x60);
}

static void tmr_and_eoi_level(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	struct apic_msg m = fixed(0x60);
	m.level = true;
	vlapic_accept(&lapic, &m);
	assert_int_equal(rd(&lapic, 0x180 + 0x30), 1u << 0); /* TMR bit 0x60 */
	m = fixed(0x30);
	vlapic_accept(&lapic, &m);
	assert_int_equal(rd(&lapic, 0x180 + 0x10), 0);
	vlapic_ack(&lapic, 0x60);
	vlapic_ack(&lapic, 0x30);
	wr(&lapic, 0xb0, 0);
	assert_int_equal(eoi_level_calls, 1);
	assert_int_equal(eoi_level_vector, 0x60);
	wr(&lapic, 0xb0, 0); /* the edge one: no IOAPIC EOI */
	assert_int_equal(eoi_level_calls, 1);
	wr(&lapic, 0xb0, 0); /* nothing in service: nothing */
	assert_int_equal(eoi_level_calls, 1);
	/* with no IOAPIC (eoi_level NULL) a level EOI is fine */
	static const struct vlapic_ops bare = { fake_now, record_send, NULL };
	struct vlapic l;
	vlapic_init(&l, 0, true, &bare, NULL);
	wr(&l, 0xf0, 0x1ff);
	m.vector = 0x60, m.level = true;
	vlapic_accept(&l, &m);
	vlapic_ack(&l, 0x60);
	wr(&l, 0xb0, 0);
	assert_int_equal(vlapic_pending(&l), -1);
}

static void timer_one_shot(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x3e0, 0xb); /* divide by 1 */
	wr(&lapic, 0x320, 0x40);
	uint64_t t0 = fake_tsc;
	wr(&lapic, 0x380, 1000);
	assert_int_equal(vlapic_next_event(&lapic), t0 + 1000);
	vlapic_tick(&lapic, t0 + 999);
	assert_false(in_irr(&lapic, 0x40));
	vlapic_tick(&lapic, t0 + 1000);
	assert_true(in_irr(&lapic, 0x40));
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	vlapic_ack(&lapic, 0x40);
	wr(&lapic, 0xb0, 0);
	vlapic_tick(&lapic, t0 + 5000);
	assert_false(in_irr(&lapic, 0x40)); /* once only */
	/* masked: it expires without an interrupt */
	wr(&lapic, 0x320, 0x10040);
	wr(&lapic, 0x380, 10);
	vlapic_tick(&lapic, fake_tsc + 10);
	assert_false(in_irr(&lapic, 0x40));
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	/* an initial count of 0 stops it */
	wr(&lapic, 0x320, 0x40);
	wr(&lapic, 0x380, 10);
	wr(&lapic, 0x380, 0);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	vlapic_tick(&lapic, fake_tsc + 100);
	assert_false(in_irr(&lapic, 0x40));
}

static void timer_periodic_no_drift(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x3e0, 0x0); /* divide by 2 */
	wr(&lapic, 0x320, (1u << 17) | 0x40);
	uint64_t t0 = fake_tsc;
	wr(&lapic, 0x380, 100); /* 200 TSC ticks a period */
	unsigned fired = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t due = vlapic_next_event(&lapic);
		fake_tsc = due + 37; /* kan always runs the tick a little late */
		vlapic_tick(&lapic, fake_tsc);
		if (vlapic_pending(&lapic) == 0x40) {
			fired++;
			vlapic_ack(&lapic, 0x40);
			wr(&lapic, 0xb0, 0);
		}
	}
	assert_int_equal(fired, 1000);
	assert_int_equal(vlapic_next_event(&lapic), t0 + 1001 * 200);
	/* ten periods late: one interrupt, and the next expiry stays on the grid */
	fake_tsc = vlapic_next_event(&lapic) + 10 * 200 + 5;
	vlapic_tick(&lapic, fake_tsc);
	assert_int_equal(vlapic_pending(&lapic), 0x40);
	vlapic_ack(&lapic, 0x40);
	wr(&lapic, 0xb0, 0);
	assert_int_equal(vlapic_next_event(&lapic), t0 + 1012 * 200);
	vlapic_tick(&lapic, fake_tsc);
	assert_int_equal(vlapic_pending(&lapic), -1);
	/* the current count keeps counting down over the periods */
	fake_tsc = t0 + 1012 * 200 - 50;
	assert_int_equal(rd(&lapic, 0x390), 25);
}

static void timer_periodic_min_period(void **state)
{
	(void)state;
	lapic.timer_min_period = 5000;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x3e0, 0xb);
	wr(&lapic, 0x320, (1u << 17) | 0x40);
	uint64_t t0 = fake_tsc;
	wr(&lapic, 0x380, 1); /* a hostile guest's period of one TSC tick */
	vlapic_tick(&lapic, t0 + 1);
	assert_int_equal(vlapic_pending(&lapic), 0x40);
	assert_int_equal(vlapic_next_event(&lapic), t0 + 1 + 5000);
	/* ordinary periods are left alone */
	wr(&lapic, 0x380, 6000);
	vlapic_tick(&lapic, t0 + 6000);
	assert_int_equal(vlapic_next_event(&lapic), t0 + 12000);
}

static void timer_divide_values(void **state)
{
	(void)state;
	const uint32_t code[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	const uint64_t divisor[] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x320, 0x40);
	for (int i = 0; i < 8; i++) {
		wr(&lapic, 0x3e0, code[i]);
		wr(&lapic, 0x380, 1000);
		assert_int_equal(vlapic_next_event(&lapic), fake_tsc + 1000 * divisor[i]);
	}
	/* changing the divisor while it counts: the counts left run at the new rate */
	wr(&lapic, 0x3e0, 0xb);
	wr(&lapic, 0x380, 1000);
	fake_tsc += 400;
	wr(&lapic, 0x3e0, 0x1); /* by 4 */
	assert_int_equal(rd(&lapic, 0x390), 600);
	assert_int_equal(vlapic_next_event(&lapic), fake_tsc + 600 * 4);
}

static void timer_current_count(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x3e0, 0x1); /* divide by 4 */
	wr(&lapic, 0x320, 0x40);
	uint64_t t0 = fake_tsc;
	assert_int_equal(rd(&lapic, 0x390), 0); /* not armed */
	wr(&lapic, 0x380, 1000);
	assert_int_equal(rd(&lapic, 0x390), 1000);
	assert_int_equal(rd(&lapic, 0x380), 1000);
	fake_tsc = t0 + 400;
	assert_int_equal(rd(&lapic, 0x390), 900);
	fake_tsc = t0 + 3999;
	assert_int_equal(rd(&lapic, 0x390), 1);
	fake_tsc = t0 + 4000;
	assert_int_equal(rd(&lapic, 0x390), 0);
	fake_tsc = t0 + 9000; /* a one-shot stays at 0, ticked or not */
	assert_int_equal(rd(&lapic, 0x390), 0);
	vlapic_tick(&lapic, fake_tsc);
	assert_int_equal(rd(&lapic, 0x390), 0);
	assert_int_equal(rd(&lapic, 0x380), 1000);
}

static void timer_tsc_deadline(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	/* in one-shot mode the MSR reads 0 and writes are ignored */
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, fake_tsc + 10), 0);
	assert_int_equal(msr(&lapic, 0x6e0), 0);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	/* a one-shot count running is disarmed by the switch to TSC-deadline mode */
	wr(&lapic, 0x320, 0x40);
	wr(&lapic, 0x380, 1000);
	wr(&lapic, 0x320, (2u << 17) | 0x40);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	assert_int_equal(rd(&lapic, 0x380), 0);
	wr(&lapic, 0x380, 1000); /* initial count writes are ignored, current reads 0 */
	assert_int_equal(rd(&lapic, 0x380), 0);
	assert_int_equal(rd(&lapic, 0x390), 0);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	uint64_t deadline = fake_tsc + 5000;
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, deadline), 0);
	assert_int_equal(msr(&lapic, 0x6e0), deadline);
	assert_int_equal(vlapic_next_event(&lapic), deadline);
	vlapic_tick(&lapic, deadline - 1);
	assert_false(in_irr(&lapic, 0x40));
	vlapic_tick(&lapic, deadline);
	assert_true(in_irr(&lapic, 0x40));
	assert_int_equal(msr(&lapic, 0x6e0), 0); /* cleared once it fired */
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	vlapic_ack(&lapic, 0x40);
	wr(&lapic, 0xb0, 0);
	/* writing 0 disarms */
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, fake_tsc + 10), 0);
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, 0), 0);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	vlapic_tick(&lapic, fake_tsc + 100);
	assert_false(in_irr(&lapic, 0x40));
	/* a deadline in the past fires at the next tick */
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, 1), 0);
	assert_true(vlapic_next_event(&lapic) <= fake_tsc);
	vlapic_tick(&lapic, fake_tsc);
	assert_true(in_irr(&lapic, 0x40));
	/* switching back to one-shot disarms an armed deadline */
	assert_int_equal(vlapic_msr_write(&lapic, 0x6e0, fake_tsc + 10), 0);
	wr(&lapic, 0x320, 0x40);
	assert_int_equal(vlapic_next_event(&lapic), UINT64_MAX);
	assert_int_equal(msr(&lapic, 0x6e0), 0);
}

static void destinations_physical(void **state)
{
	(void)state;
	struct apic_msg m = { .delivery = APIC_DELIVERY_FIXED, .vector = 0x40, .dest = 3 };
	assert_true(vlapic_match(&lapic, &m, NULL));
	m.dest = 4;
	assert_false(vlapic_match(&lapic, &m, NULL));
	m.dest = 0xff;
	assert_true(vlapic_match(&lapic, &m, NULL));
	m.dest = 0x103; /* an xAPIC destination is 8 bits: no alias */
	assert_false(vlapic_match(&lapic, &m, NULL));
	struct vlapic big;
	vlapic_init(&big, 0x103, false, &ops, NULL);
	enable_x2apic(&big);
	m.x2apic = true;
	assert_true(vlapic_match(&big, &m, NULL));
	m.dest = 3;
	assert_false(vlapic_match(&big, &m, NULL));
	m.dest = 0xff; /* not a broadcast in 32 bits */
	assert_false(vlapic_match(&big, &m, NULL));
	m.dest = 0xffffffff;
	assert_true(vlapic_match(&big, &m, NULL));
	m.x2apic = false, m.dest = 0xff; /* an IOAPIC's 8-bit broadcast reaches it */
	assert_true(vlapic_match(&big, &m, NULL));
	/* a hardware-disabled APIC takes nothing */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, 0xfee00000), 0);
	assert_false(vlapic_match(&lapic, &m, NULL));
}

static void destinations_logical(void **state)
{
	(void)state;
	struct apic_msg m = { .delivery = APIC_DELIVERY_FIXED, .vector = 0x40, .logical = true };
	wr(&lapic, 0xd0, 0x04000000); /* flat: bit 2 */
	m.dest = 0x05;
	assert_true(vlapic_match(&lapic, &m, NULL));
	m.dest = 0x0b;
	assert_false(vlapic_match(&lapic, &m, NULL));
	m.dest = 0xff;
	assert_true(vlapic_match(&lapic, &m, NULL));
	wr(&lapic, 0xe0, 0x0fffffff); /* cluster: cluster 2, member bit 1 */
	wr(&lapic, 0xd0, 0x22000000);
	m.dest = 0x23;
	assert_true(vlapic_match(&lapic, &m, NULL));
	m.dest = 0x24;
	assert_false(vlapic_match(&lapic, &m, NULL));
	m.dest = 0x32; /* the same member bit in another cluster */
	assert_false(vlapic_match(&lapic, &m, NULL));
	m.dest = 0x02; /* flat would say yes to bit 1 */
	assert_false(vlapic_match(&lapic, &m, NULL));
	/* x2APIC: cluster = id >> 4, bit = id & 15 */
	struct vlapic x;
	vlapic_init(&x, 0x23, false, &ops, NULL);
	enable_x2apic(&x);
	m.x2apic = true;
	m.dest = (2u << 16) | (1u << 3) | 1;
	assert_true(vlapic_match(&x, &m, NULL));
	m.dest = (2u << 16) | (1u << 4);
	assert_false(vlapic_match(&x, &m, NULL));
	m.dest = (3u << 16) | (1u << 3);
	assert_false(vlapic_match(&x, &m, NULL));
	m.dest = 0xffffffff;
	assert_true(vlapic_match(&x, &m, NULL));
}

static void destinations_shorthands(void **state)
{
	(void)state;
	struct vlapic other;
	vlapic_init(&other, 7, false, &ops, NULL);
	struct apic_msg m = { .delivery = APIC_DELIVERY_FIXED, .vector = 0x40, .dest = 7 };
	m.shorthand = APIC_DEST_SELF;
	assert_true(vlapic_match(&lapic, &m, &lapic));
	assert_false(vlapic_match(&other, &m, &lapic));
	m.shorthand = APIC_DEST_ALL;
	assert_true(vlapic_match(&lapic, &m, &lapic));
	assert_true(vlapic_match(&other, &m, &lapic));
	m.shorthand = APIC_DEST_ALL_BUT_SELF;
	assert_false(vlapic_match(&lapic, &m, &lapic));
	assert_true(vlapic_match(&other, &m, &lapic));
}

static void illegal_vectors_and_esr(void **state)
{
	(void)state;
	wr(&lapic, 0xf0, 0x1ff);
	struct apic_msg m = fixed(0x0e);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), -1);
	assert_int_equal(rd(&lapic, 0x280), 0); /* not visible before an ESR write */
	wr(&lapic, 0x280, 0);
	assert_int_equal(rd(&lapic, 0x280), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
	assert_int_equal(rd(&lapic, 0x280), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
	assert_int_equal(esr(&lapic), 0); /* the next write latches "nothing since" */
	/* a send with vector 3: not sent, send-illegal on the sender */
	wr(&lapic, 0x310, 7u << 24);
	wr(&lapic, 0x300, 0x03);
	assert_int_equal(sends, 0);
	assert_int_equal(esr(&lapic), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
	wr(&lapic, 0x300, (1u << 8) | 0x0f); /* lowest priority too */
	assert_int_equal(sends, 0);
	assert_int_equal(esr(&lapic), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
	/* NMI, INIT and SIPI have no such rule */
	wr(&lapic, 0x300, (6u << 8) | 0x00);
	assert_int_equal(sends, 1);
	assert_int_equal(esr(&lapic), 0);
	/* the error LVT raises its vector */
	wr(&lapic, 0x370, 0xfe);
	vlapic_accept(&lapic, &m);
	assert_int_equal(vlapic_pending(&lapic), 0xfe);
	/* x2APIC: the SELF IPI register with vector 5 */
	enable_x2apic(&lapic);
	assert_int_equal(vlapic_msr_write(&lapic, 0x83f, 5), 0);
	assert_int_equal(sends, 1);
	assert_int_equal(vlapic_msr_write(&lapic, 0x828, 0), 0);
	assert_int_equal(msr(&lapic, 0x828),
			 VLAPIC_ESR_SEND_ILLEGAL_VECTOR | VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

static void icr_sends_decoded(void **state)
{
	(void)state;
	wr(&lapic, 0x310, 0x0c000000);
	/* lowest priority, logical, level, assert, vector 0x31 */
	wr(&lapic, 0x300, (1u << 8) | (1u << 11) | (1u << 14) | (1u << 15) | 0x31);
	assert_int_equal(sends, 1);
	assert_ptr_equal(sent_from, &lapic);
	assert_int_equal(sent[0].vector, 0x31);
	assert_int_equal(sent[0].delivery, APIC_DELIVERY_LOWEST);
	assert_int_equal(sent[0].shorthand, APIC_DEST_FIELD);
	assert_true(sent[0].logical);
	assert_true(sent[0].level);
	assert_true(sent[0].assert);
	assert_int_equal(sent[0].dest, 0x0c);
	assert_false(sent[0].x2apic);
	wr(&lapic, 0x310, 0); /* the high half alone sends nothing */
	assert_int_equal(sends, 1);
	/* INIT to all but self, SIPI physical */
	wr(&lapic, 0x300, (3u << 18) | (5u << 8) | (1u << 14));
	assert_int_equal(sent[1].delivery, APIC_DELIVERY_INIT);
	assert_int_equal(sent[1].shorthand, APIC_DEST_ALL_BUT_SELF);
	assert_false(sent[1].logical);
	assert_false(sent[1].level);
	wr(&lapic, 0x310, 0x01000000);
	wr(&lapic, 0x300, (6u << 8) | 0x08);
	assert_int_equal(sent[2].delivery, APIC_DELIVERY_SIPI);
	assert_int_equal(sent[2].vector, 0x08);
	assert_int_equal(sent[2].dest, 1);
	/* x2APIC: one 64-bit write, 32-bit destination */
	enable_x2apic(&lapic);
	assert_int_equal(vlapic_msr_write(&lapic, 0x830, (0x12345ull << 32) | (4u << 8)), 0);
	assert_int_equal(sends, 4);
	assert_int_equal(sent[3].delivery, APIC_DELIVERY_NMI);
	assert_int_equal(sent[3].dest, 0x12345);
	assert_true(sent[3].x2apic);
	assert_int_equal(vlapic_msr_write(&lapic, 0x83f, 0x1ff), 0); /* SELF IPI: bits 7:0 */
	assert_int_equal(sends, 5);
	assert_int_equal(sent[4].vector, 0xff);
	assert_int_equal(sent[4].delivery, APIC_DELIVERY_FIXED);
	assert_int_equal(sent[4].shorthand, APIC_DEST_SELF);
	/* what arrives sets kernel/'s flags */
	struct apic_msg m = { .delivery = APIC_DELIVERY_SIPI, .vector = 0x9f };
	vlapic_accept(&lapic, &m);
	assert_int_equal(lapic.sipi_vector, 0x9f);
	m.delivery = APIC_DELIVERY_EXTINT;
	vlapic_accept(&lapic, &m);
	assert_true(lapic.extint_pending);
	m = (struct apic_msg){ .delivery = APIC_DELIVERY_INIT, .assert = true };
	vlapic_accept(&lapic, &m);
	assert_true(lapic.init_pending);
}

static void lint_pins(void **state)
{
	(void)state;
	vlapic_lint(&lapic, 0); /* masked at power-on */
	vlapic_lint(&lapic, 1);
	assert_false(lapic.extint_pending);
	assert_false(lapic.nmi_pending);
	wr(&lapic, 0xf0, 0x1ff);
	wr(&lapic, 0x350, 7u << 8); /* LINT0: ExtINT */
	wr(&lapic, 0x360, 4u << 8); /* LINT1: NMI */
	vlapic_lint(&lapic, 0);
	assert_true(lapic.extint_pending);
	assert_false(lapic.nmi_pending);
	vlapic_lint(&lapic, 1);
	assert_true(lapic.nmi_pending);
	lapic.extint_pending = lapic.nmi_pending = false;
	wr(&lapic, 0x350, 0x10000 | (7u << 8));
	vlapic_lint(&lapic, 0);
	assert_false(lapic.extint_pending);
	wr(&lapic, 0x360, 0x33); /* LINT1: fixed 0x33 */
	vlapic_lint(&lapic, 1);
	assert_int_equal(vlapic_pending(&lapic), 0x33);
	assert_false(lapic.nmi_pending);
	vlapic_lint(&lapic, 2); /* no such pin */
	/* hardware-disabled: LINT0 is INTR and LINT1 is NMI */
	assert_int_equal(vlapic_msr_write(&lapic, 0x1b, 0xfee00000), 0);
	vlapic_lint(&lapic, 0);
	vlapic_lint(&lapic, 1);
	assert_true(lapic.extint_pending);
	assert_true(lapic.nmi_pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(power_on_state, setup),
		cmocka_unit_test_setup(xapic_register_rules, setup),
		cmocka_unit_test_setup(x2apic_register_rules, setup),
		cmocka_unit_test_setup(sw_disable_masks_lvts, setup),
		cmocka_unit_test_setup(mode_transitions, setup),
		cmocka_unit_test_setup(init_signal_resets_all_but_id_and_mode, setup),
		cmocka_unit_test_setup(eoi_nested_order, setup),
		cmocka_unit_test_setup(tpr_ppr_masking, setup),
		cmocka_unit_test_setup(arbitration_priority, setup),
		cmocka_unit_test_setup(tmr_and_eoi_level, setup),
		cmocka_unit_test_setup(timer_one_shot, setup),
		cmocka_unit_test_setup(timer_periodic_no_drift, setup),
		cmocka_unit_test_setup(timer_periodic_min_period, setup),
		cmocka_unit_test_setup(timer_divide_values, setup),
		cmocka_unit_test_setup(timer_current_count, setup),
		cmocka_unit_test_setup(timer_tsc_deadline, setup),
		cmocka_unit_test_setup(destinations_physical, setup),
		cmocka_unit_test_setup(destinations_logical, setup),
		cmocka_unit_test_setup(destinations_shorthands, setup),
		cmocka_unit_test_setup(illegal_vectors_and_esr, setup),
		cmocka_unit_test_setup(icr_sends_decoded, setup),
		cmocka_unit_test_setup(lint_pins, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
