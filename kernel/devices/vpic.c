#include "kernel/devices/vpic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define PIT_HZ 1193182u

void vpic_init(struct vpic *pic)
{
	memset(pic, 0, sizeof(*pic));
	pic->chip[0].imr = pic->chip[1].imr = 0xff;
	pic->chip[0].vector_base = 0x08;
	pic->chip[1].vector_base = 0x70;
}

void vpic_copy_state(struct vpic *to, const struct vpic *from, uint64_t shift)
{
	void (*irq0)(void *) = to->irq0;
	void *irq0_ctx = to->irq0_ctx;
	*to = *from;
	to->irq0 = irq0;
	to->irq0_ctx = irq0_ctx;
	if (to->pit.period_tsc)
		to->pit.next_tick += shift;
}

static void chip_write(struct vpic_chip *c, bool data_port, uint8_t v)
{
	if (!data_port && (v & 0x10)) { /* ICW1: start initialization */
		c->init_step = 1;
		c->icw4_needed = v & 1;
		c->imr = 0, c->isr = 0, c->irr = 0;
		return;
	}
	if (data_port && c->init_step) {
		if (c->init_step == 1) { /* ICW2: the vector base */
			c->vector_base = v & 0xf8;
			c->init_step = 2;
		} else if (c->init_step == 2) { /* ICW3: cascade wiring, fixed here */
			c->init_step = c->icw4_needed ? 3 : 0;
		} else { /* ICW4 */
			c->init_step = 0;
		}
		return;
	}
	if (data_port) {
		c->imr = v;		 /* OCW1 */
	} else if ((v & 0x18) == 0x08) { /* OCW3 */
		if (v & 0x02)
			c->read_isr = v & 0x01;
	} else if (v & 0x20) { /* OCW2 EOI: specific (with level) or the highest in service */
		unsigned irq = v & 0x40 ? (v & 7) : (unsigned)__builtin_ctz(c->isr | 0x100);
		if (irq < 8)
			c->isr &= (uint8_t) ~(1u << irq);
	}
}

void vpic_io_pic(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct vpic *pic = device;
	(void)size;
	struct vpic_chip *c = &pic->chip[port >= 0xa0];
	bool data_port = port & 1;
	if (write) {
		chip_write(c, data_port, (uint8_t)*value);
		return;
	}
	*value = data_port ? c->imr : c->read_isr ? c->isr : c->irr;
}

static unsigned highest(uint8_t bits)
{
	return bits ? (unsigned)__builtin_ctz(bits) : 8;
}

bool vpic_pending(const struct vpic *pic)
{
	const struct vpic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	uint8_t master = m->irr & (uint8_t)~m->imr;
	if (s->irr & (uint8_t)~s->imr)
		master |= 1u << 2;
	/* Fully nested mode: nothing at or below the priority of one in service. */
	return highest(master) < highest(m->isr);
}

bool vpic_ack(struct vpic *pic, uint8_t *vector)
{
	if (!vpic_pending(pic))
		return false;
	struct vpic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	uint8_t master = m->irr & (uint8_t)~m->imr;
	uint8_t slave = s->irr & (uint8_t)~s->imr;
	if (slave)
		master |= 1u << 2;
	unsigned irq = highest(master);
	m->isr |= (uint8_t)(1u << irq);
	m->irr &= (uint8_t) ~(1u << irq);
	if (irq == 2 && slave) {
		unsigned sirq = highest(slave);
		s->isr |= (uint8_t)(1u << sirq);
		s->irr &= (uint8_t) ~(1u << sirq);
		*vector = (uint8_t)(s->vector_base + sirq);
	} else {
		*vector = (uint8_t)(m->vector_base + irq);
	}
	return true;
}

void vpic_raise(struct vpic *pic, unsigned irq)
{
	if (irq < 8) {
		pic->chip[0].irr |= (uint8_t)(1u << irq);
	} else if (irq < 16) {
		pic->chip[1].irr |= (uint8_t)(1u << (irq - 8));
	}
}

/* --- the 8254: channel 0 drives IRQ 0; channel 2 only answers port 0x61 --- */

static uint16_t pit_count_now(const struct vpit *pit, uint64_t now)
{
	if (!pit->period_tsc || now >= pit->next_tick)
		return pit->reload;
	return (uint16_t)((pit->next_tick - now) * pit->reload / pit->period_tsc);
}

void vpic_io_pit(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct vpit *pit = &((struct vpic *)device)->pit;
	(void)size;
	uint64_t now = rdtsc();
	if (port == 0x61) {
		if (write)
			pit->port61 = (uint8_t)*value & 0x0f;
		else
			*value = pit->port61 | 0x20; /* channel 2 output: always "done" */
		return;
	}
	if (port == 0x43) {
		if (!write) {
			*value = 0xff;
			return;
		}
		uint8_t v = (uint8_t)*value;
		if ((v >> 6) != 0)
			return;		   /* only channel 0 is modelled */
		if (((v >> 4) & 3) == 0) { /* counter latch */
			pit->latched = pit_count_now(pit, now);
			pit->latch_pending = 2;
			return;
		}
		pit->access = (v >> 4) & 3;
		pit->mode = (v >> 1) & 7;
		pit->write_low = 1;
		return;
	}
	if (port != 0x40) {
		if (!write)
			*value = 0xff;
		return;
	}
	if (!write) {
		uint16_t c = pit->latch_pending ? pit->latched : pit_count_now(pit, now);
		bool low = pit->latch_pending != 1;
		if (pit->latch_pending)
			pit->latch_pending--;
		*value = low ? (c & 0xff) : (c >> 8);
		return;
	}
	uint8_t v = (uint8_t)*value;
	if (pit->access == 1 || (pit->access == 3 && pit->write_low)) {
		pit->reload = (uint16_t)((pit->reload & 0xff00) | v);
		if (pit->access == 3) {
			pit->write_low = 0;
			return;
		}
	} else {
		pit->reload = (uint16_t)((pit->reload & 0x00ff) | (v << 8));
		pit->write_low = 1;
	}
	uint32_t reload = pit->reload ? pit->reload : 65536;
	pit->period_tsc = time_tsc_hz() * reload / PIT_HZ;
	pit->next_tick = now + pit->period_tsc;
}

/* Modes 2 and 3 (and their aliases 6 and 7) reload and count again; 0, 1, 4 and 5 interrupt
 * once. Linux's one-shot clock events use mode 4, the software-triggered strobe. */
static bool pit_mode_periodic(uint8_t mode)
{
	return (mode & 3) == 2 || (mode & 3) == 3;
}

uint64_t vpic_tick(struct vpic *pic, uint64_t now)
{
	struct vpit *pit = &pic->pit;
	if (!pit->period_tsc)
		return UINT64_MAX;
	if (now >= pit->next_tick) {
		if (pic->irq0)
			pic->irq0(pic->irq0_ctx);
		else
			vpic_raise(pic, 0);
		if (!pit_mode_periodic(pit->mode)) {
			pit->period_tsc = 0; /* counts down once, until written again */
			return UINT64_MAX;
		}
		/* Missed ticks are dropped, not queued: a descheduled guest sees time jump. */
		pit->next_tick = now + pit->period_tsc;
	}
	return pit->next_tick;
}
