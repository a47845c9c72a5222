/* The virtual local APIC: interrupt acceptance and priorities, destinations, IPIs, the timer. */
#include "kernel/devices/vlapic_internal.h"
#include "kernel/string.h"

static bool bit_test(const uint32_t *set, unsigned v)
{
	return set[v / 32] & (1u << (v % 32));
}

static void bit_set(uint32_t *set, unsigned v)
{
	set[v / 32] |= 1u << (v % 32);
}

static void bit_clear(uint32_t *set, unsigned v)
{
	set[v / 32] &= ~(1u << (v % 32));
}

static int highest_bit(const uint32_t *set)
{
	for (int i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

static uint64_t now(const struct vlapic *l)
{
	return l->ops->now(l->ctx);
}

/* The registers INIT and power-on reset alike (SDM 11.4.7.1). */
void vlapic_reset_registers(struct vlapic *l)
{
	l->tpr = 0, l->ldr = 0, l->esr = 0, l->esr_pending = 0;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	memset(l->irr, 0, sizeof(l->irr));
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		l->lvt[i] = VLAPIC_LVT_MASKED;
	l->icr_low = 0, l->icr_high = 0;
	l->timer_initial = 0, l->timer_divide = 0, l->timer_period = 0;
	l->timer_expiry = UINT64_MAX;
	l->tsc_deadline = 0;
}

void vlapic_init(struct vlapic *l, uint32_t apic_id, bool bsp, const struct vlapic_ops *ops,
		 void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops, l->ctx = ctx;
	l->id = apic_id;
	l->apic_base = VLAPIC_BASE_ADDRESS | VLAPIC_BASE_EN | (bsp ? VLAPIC_BASE_BSP : 0);
	l->sipi_vector = -1;
	vlapic_reset_registers(l);
}

void vlapic_init_signal(struct vlapic *l)
{
	vlapic_reset_registers(l);
	l->nmi_pending = false, l->init_pending = false, l->extint_pending = false;
}

bool vlapic_hw_enabled(const struct vlapic *l)
{
	return l->apic_base & VLAPIC_BASE_EN;
}

bool vlapic_x2apic(const struct vlapic *l)
{
	return l->apic_base & VLAPIC_BASE_EXTD;
}

bool vlapic_sw_enabled(const struct vlapic *l)
{
	return l->svr & SVR_SW_ENABLE;
}

bool vlapic_xapic_mmio_active(const struct vlapic *l)
{
	return vlapic_hw_enabled(l) && !vlapic_x2apic(l);
}

/* ---- priorities and interrupt acceptance ---- */

uint32_t vlapic_ppr(const struct vlapic *l)
{
	int isrv = highest_bit(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

int vlapic_priority(const struct vlapic *l)
{
	int isrv = highest_bit(l->isr), irrv = highest_bit(l->irr);
	uint32_t tpr = l->tpr & 0xf0;
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
	if (tpr >= irr_class && tpr > isr_class)
		return (int)l->tpr;
	uint32_t apr = tpr > isr_class ? tpr : isr_class;
	return (int)(apr > irr_class ? apr : irr_class);
}

int vlapic_pending(const struct vlapic *l)
{
	int v = highest_bit(l->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (vlapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
	bit_clear(l->irr, vector);
	bit_set(l->isr, vector);
}

static void set_irr(struct vlapic *l, uint8_t vector, bool level)
{
	bit_set(l->irr, vector);
	if (level)
		bit_set(l->tmr, vector);
	else
		bit_clear(l->tmr, vector);
}

/* An error the ESR records; it raises the LVT error interrupt unless masked (SDM 11.5.3). */
void vlapic_signal_error(struct vlapic *l, uint32_t esr_bit)
{
	l->esr_pending |= esr_bit;
	uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];
	if (!(lvt & VLAPIC_LVT_MASKED) && (lvt & 0xff) >= 16) /* no error loop on a bad vector */
		set_irr(l, lvt & 0xff, false);
}

/* A fixed interrupt from this APIC's own LVT or from a message. */
static void accept_fixed(struct vlapic *l, uint8_t vector, bool level)
{
	if (vector < 16) { /* vectors 0-15 are the CPU's exceptions */
		vlapic_signal_error(l, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
		return;
	}
	if (!vlapic_sw_enabled(l)) /* SDM 11.4.7.2: a software-disabled APIC drops them */
		return;
	set_irr(l, vector, level);
}

void vlapic_accept(struct vlapic *l, const struct apic_msg *msg)
{
	switch (msg->delivery) {
	case APIC_DELIVERY_FIXED:
	case APIC_DELIVERY_LOWEST:
		accept_fixed(l, msg->vector, msg->level);
		break;
	case APIC_DELIVERY_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DELIVERY_INIT:
		if (msg->level && !msg->assert) /* INIT level de-assert: nothing since the P6 */
			break;
		l->init_pending = true;
		break;
	case APIC_DELIVERY_SIPI:
		l->sipi_vector = msg->vector;
		break;
	case APIC_DELIVERY_EXTINT:
		l->extint_pending = true;
		break;
	default: /* SMI and the reserved modes: not offered */
		break;
	}
}

void vlapic_eoi(struct vlapic *l)
{
	int v = highest_bit(l->isr);
	if (v < 0)
		return;
	bit_clear(l->isr, (unsigned)v);
	if (bit_test(l->tmr, (unsigned)v) && l->ops->eoi_level)
		l->ops->eoi_level(l->ctx, (uint8_t)v);
}

/* ---- destinations ---- */

uint32_t vlapic_x2apic_ldr(const struct vlapic *l)
{
	return ((l->id >> 4) << 16) | (1u << (l->id & 15)); /* SDM 11.12.10.2 */
}

static bool logical_match(const struct vlapic *l, uint32_t dest)
{
	if (vlapic_x2apic(l)) {
		if (dest == 0xffffffff)
			return true;
		uint32_t ldr = vlapic_x2apic_ldr(l);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	uint32_t mda = dest & 0xff, ldr = l->ldr >> 24;
	if (mda == 0xff)
		return true;
	if ((l->dfr & 0xf0000000) == DFR_FLAT)
		return ldr & mda;
	return (mda >> 4) == (ldr >> 4) && (mda & ldr & 0xf); /* cluster model */
}

bool vlapic_match(const struct vlapic *l, const struct apic_msg *msg, const struct vlapic *sender)
{
	if (!vlapic_hw_enabled(l))
		return false;
	switch (msg->shorthand) {
	case APIC_DEST_SELF:
		return l == sender;
	case APIC_DEST_ALL:
		return true;
	case APIC_DEST_ALL_BUT_SELF:
		return l != sender;
	default:
		break;
	}
	if (msg->logical)
		return logical_match(l, msg->dest);
	if (msg->x2apic)
		return msg->dest == 0xffffffff || msg->dest == l->id;
	/* An 8-bit destination: 0xff is a broadcast in x2APIC mode too (SDM 11.12.9). */
	return msg->dest == 0xff || msg->dest == (l->id & 0xff);
}

void vlapic_send_ipi(struct vlapic *l, uint32_t low, uint32_t dest)
{
	struct apic_msg msg = {
		.vector = low & 0xff,
		.delivery = LVT_DELIVERY(low),
		.shorthand = (low >> 18) & 3,
		.logical = low & ICR_LOGICAL,
		.level = low & ICR_LEVEL,
		.assert = low & ICR_ASSERT,
		.dest = dest,
		.x2apic = vlapic_x2apic(l),
	};
	if ((msg.delivery == APIC_DELIVERY_FIXED || msg.delivery == APIC_DELIVERY_LOWEST) &&
	    msg.vector < 16) {
		vlapic_signal_error(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	l->ops->send(l->ctx, l, &msg);
}

/* ---- the timer (SDM 11.5.4) ---- */

uint32_t vlapic_timer_mode(const struct vlapic *l)
{
	return LVT_TIMER_MODE(l->lvt[VLAPIC_LVT_TIMER]);
}

static uint64_t timer_divisor(const struct vlapic *l)
{
	uint32_t code = (l->timer_divide & 3) | ((l->timer_divide >> 1) & 4);
	return code == 7 ? 1 : 2ull << code;
}

static void timer_disarm(struct vlapic *l)
{
	l->timer_expiry = UINT64_MAX;
}

uint32_t vlapic_timer_current(const struct vlapic *l)
{
	if (vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE || l->timer_expiry == UINT64_MAX)
		return 0;
	uint64_t t = now(l), remaining;
	if (t < l->timer_expiry)
		remaining = l->timer_expiry - t;
	else if (vlapic_timer_mode(l) == VLAPIC_TIMER_PERIODIC)
		remaining = l->timer_period - (t - l->timer_expiry) % l->timer_period;
	else
		return 0;
	uint64_t div = timer_divisor(l);
	return (uint32_t)((remaining + div - 1) / div);
}

void vlapic_timer_write_initial(struct vlapic *l, uint32_t count)
{
	if (vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE) /* ignored in TSC-deadline mode */
		return;
	l->timer_initial = count;
	if (count == 0) {
		timer_disarm(l);
		return;
	}
	l->timer_period = (uint64_t)count * timer_divisor(l);
	l->timer_expiry = now(l) + l->timer_period;
}

/* The divisor changes the rate from now on: the counts left run at the new one. */
void vlapic_timer_write_divide(struct vlapic *l, uint32_t value)
{
	uint32_t left = vlapic_timer_current(l);
	l->timer_divide = value & 0xb;
	if (l->timer_expiry == UINT64_MAX || vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE)
		return;
	l->timer_period = (uint64_t)l->timer_initial * timer_divisor(l);
	l->timer_expiry = now(l) + (uint64_t)left * timer_divisor(l);
}

/* SDM 11.5.4.1: switching to or from TSC-deadline mode disarms the timer; switching between
 * one-shot and periodic keeps the count running. */
void vlapic_timer_write_lvt(struct vlapic *l, uint32_t value)
{
	bool was_deadline = vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE;
	l->lvt[VLAPIC_LVT_TIMER] = value;
	if (was_deadline != (vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE)) {
		timer_disarm(l);
		l->timer_initial = 0;
		l->tsc_deadline = 0;
	}
}

void vlapic_timer_write_deadline(struct vlapic *l, uint64_t deadline)
{
	if (vlapic_timer_mode(l) != VLAPIC_TIMER_DEADLINE) /* ignored in the other modes */
		return;
	l->tsc_deadline = deadline;
	l->timer_expiry = deadline ? deadline : UINT64_MAX; /* a past deadline fires next tick */
}

void vlapic_tick(struct vlapic *l, uint64_t t)
{
	if (l->timer_expiry == UINT64_MAX || t < l->timer_expiry)
		return;
	if (vlapic_timer_mode(l) == VLAPIC_TIMER_PERIODIC && l->timer_period) {
		/* Re-arm from the expiry, not from now, so periods do not drift; one interrupt
		 * for however many periods passed. */
		uint64_t period = l->timer_period > l->timer_min_period ? l->timer_period
									: l->timer_min_period;
		uint64_t missed = (t - l->timer_expiry) / period;
		l->timer_expiry += (missed + 1) * period;
	} else {
		timer_disarm(l);
		l->tsc_deadline = 0; /* SDM 11.5.4.1: the MSR reads 0 once the timer fired */
	}
	uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];
	if (!(lvt & VLAPIC_LVT_MASKED))
		accept_fixed(l, lvt & 0xff, false);
}

uint64_t vlapic_next_event(const struct vlapic *l)
{
	return l->timer_expiry;
}

/* ---- LINT pins and TPR ---- */

void vlapic_lint(struct vlapic *l, unsigned pin)
{
	if (pin > 1)
		return;
	if (!vlapic_hw_enabled(l)) {
		if (pin == 0)
			l->extint_pending = true;
		else
			l->nmi_pending = true;
		return;
	}
	uint32_t lvt = l->lvt[VLAPIC_LVT_LINT0 + pin];
	if (lvt & VLAPIC_LVT_MASKED)
		return;
	switch (LVT_DELIVERY(lvt)) {
	case APIC_DELIVERY_FIXED:
		accept_fixed(l, lvt & 0xff, false);
		break;
	case APIC_DELIVERY_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DELIVERY_EXTINT:
		l->extint_pending = true;
		break;
	default: /* SMI, INIT and the reserved modes: not offered on the pins */
		break;
	}
}

uint8_t vlapic_get_tpr(const struct vlapic *l)
{
	return (uint8_t)l->tpr;
}

void vlapic_set_tpr(struct vlapic *l, uint8_t tpr)
{
	l->tpr = tpr;
}
