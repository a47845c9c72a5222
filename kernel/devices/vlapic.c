#include "kernel/devices/vlapic.h"
#include "kernel/string.h"

/* Register indexes: the xAPIC page offset >> 4, also the x2APIC MSR - 0x800 (SDM Table 11-6). */
enum {
	REG_ID = 0x02,
	REG_VERSION = 0x03,
	REG_TPR = 0x08,
	REG_APR = 0x09,
	REG_PPR = 0x0a,
	REG_EOI = 0x0b,
	REG_RRD = 0x0c,
	REG_LDR = 0x0d,
	REG_DFR = 0x0e,
	REG_SVR = 0x0f,
	REG_ISR = 0x10,
	REG_TMR = 0x18,
	REG_IRR = 0x20,
	REG_ESR = 0x28,
	REG_LVT_CMCI = 0x2f,
	REG_ICR_LOW = 0x30,
	REG_ICR_HIGH = 0x31,
	REG_LVT_TIMER = 0x32,
	REG_LVT_ERROR = 0x37,
	REG_TIMER_INITIAL = 0x38,
	REG_TIMER_CURRENT = 0x39,
	REG_TIMER_DIVIDE = 0x3e,
	REG_SELF_IPI = 0x3f,
};

enum reg_result { REG_OK, REG_READ_ONLY, REG_WRITE_ONLY, REG_NONE, REG_BAD_VALUE };

#define SVR_SW_ENABLE	  (1u << 8)
#define SVR_WRITABLE	  0x3ffu /* vector, enable, focus; no EOI-broadcast suppression */
#define DFR_FLAT	  0xf0000000u
#define ICR_WRITABLE	  0xccfffu /* vector, delivery, dest mode, level, trigger, shorthand */
#define ICR_LOGICAL	  (1u << 11)
#define ICR_ASSERT	  (1u << 14)
#define ICR_LEVEL	  (1u << 15)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3)
#define LVT_DELIVERY(v)	  (((v) >> 8) & 7)
#define BASE_ADDRESS_MASK 0x000ffffffffff000ull
#define BASE_RESERVED	  0xfff00000000002ffull /* bits 7:0, 9 and 63:52 (BSP is read-only) */

/* The bits software may write in each LVT entry (SDM Figure 11-8); remote IRR and delivery
 * status are read-only. */
static const uint32_t lvt_writable[VLAPIC_LVT_COUNT] = {
	[VLAPIC_LVT_CMCI] = 0x107ff,  [VLAPIC_LVT_TIMER] = 0x700ff, [VLAPIC_LVT_THERMAL] = 0x107ff,
	[VLAPIC_LVT_PERF] = 0x107ff,  [VLAPIC_LVT_LINT0] = 0x1a7ff, [VLAPIC_LVT_LINT1] = 0x1a7ff,
	[VLAPIC_LVT_ERROR] = 0x100ff,
};

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
static void reset_registers(struct vlapic *l)
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
	reset_registers(l);
}

void vlapic_init_signal(struct vlapic *l)
{
	reset_registers(l);
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
static void signal_error(struct vlapic *l, uint32_t esr_bit)
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
		signal_error(l, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
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

static void eoi(struct vlapic *l)
{
	int v = highest_bit(l->isr);
	if (v < 0)
		return;
	bit_clear(l->isr, (unsigned)v);
	if (bit_test(l->tmr, (unsigned)v) && l->ops->eoi_level)
		l->ops->eoi_level(l->ctx, (uint8_t)v);
}

/* ---- destinations ---- */

static uint32_t x2apic_ldr(const struct vlapic *l)
{
	return ((l->id >> 4) << 16) | (1u << (l->id & 15)); /* SDM 11.12.10.2 */
}

static bool logical_match(const struct vlapic *l, uint32_t dest)
{
	if (vlapic_x2apic(l)) {
		if (dest == 0xffffffff)
			return true;
		uint32_t ldr = x2apic_ldr(l);
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

static void send_ipi(struct vlapic *l, uint32_t low, uint32_t dest)
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
		signal_error(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	l->ops->send(l->ctx, l, &msg);
}

/* ---- the timer (SDM 11.5.4) ---- */

static uint32_t timer_mode(const struct vlapic *l)
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

static uint32_t timer_current(const struct vlapic *l)
{
	if (timer_mode(l) == VLAPIC_TIMER_DEADLINE || l->timer_expiry == UINT64_MAX)
		return 0;
	uint64_t t = now(l), remaining;
	if (t < l->timer_expiry)
		remaining = l->timer_expiry - t;
	else if (timer_mode(l) == VLAPIC_TIMER_PERIODIC)
		remaining = l->timer_period - (t - l->timer_expiry) % l->timer_period;
	else
		return 0;
	uint64_t div = timer_divisor(l);
	return (uint32_t)((remaining + div - 1) / div);
}

static void timer_write_initial(struct vlapic *l, uint32_t count)
{
	if (timer_mode(l) == VLAPIC_TIMER_DEADLINE) /* ignored in TSC-deadline mode */
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
static void timer_write_divide(struct vlapic *l, uint32_t value)
{
	uint32_t left = timer_current(l);
	l->timer_divide = value & 0xb;
	if (l->timer_expiry == UINT64_MAX || timer_mode(l) == VLAPIC_TIMER_DEADLINE)
		return;
	l->timer_period = (uint64_t)l->timer_initial * timer_divisor(l);
	l->timer_expiry = now(l) + (uint64_t)left * timer_divisor(l);
}

/* SDM 11.5.4.1: switching to or from TSC-deadline mode disarms the timer; switching between
 * one-shot and periodic keeps the count running. */
static void timer_write_lvt(struct vlapic *l, uint32_t value)
{
	bool was_deadline = timer_mode(l) == VLAPIC_TIMER_DEADLINE;
	l->lvt[VLAPIC_LVT_TIMER] = value;
	if (was_deadline != (timer_mode(l) == VLAPIC_TIMER_DEADLINE)) {
		timer_disarm(l);
		l->timer_initial = 0;
		l->tsc_deadline = 0;
	}
}

static void timer_write_deadline(struct vlapic *l, uint64_t deadline)
{
	if (timer_mode(l) != VLAPIC_TIMER_DEADLINE) /* ignored in the other modes */
		return;
	l->tsc_deadline = deadline;
	l->timer_expiry = deadline ? deadline : UINT64_MAX; /* a past deadline fires next tick */
}

void vlapic_tick(struct vlapic *l, uint64_t t)
{
	if (l->timer_expiry == UINT64_MAX || t < l->timer_expiry)
		return;
	if (timer_mode(l) == VLAPIC_TIMER_PERIODIC && l->timer_period) {
		/* Re-arm from the expiry, not from now, so periods do not drift; one interrupt
		 * for however many periods passed. */
		uint64_t missed = (t - l->timer_expiry) / l->timer_period;
		l->timer_expiry += (missed + 1) * l->timer_period;
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

/* ---- registers ---- */

static int lvt_index(unsigned reg)
{
	if (reg == REG_LVT_CMCI)
		return VLAPIC_LVT_CMCI;
	if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR)
		return VLAPIC_LVT_TIMER + (int)(reg - REG_LVT_TIMER);
	return -1;
}

/* Reads register `reg` as the current mode shows it. */
static enum reg_result reg_read(const struct vlapic *l, unsigned reg, uint32_t *value)
{
	bool x2 = vlapic_x2apic(l);
	*value = 0;
	if (reg >= REG_ISR && reg < REG_ISR + 8)
		*value = l->isr[reg - REG_ISR];
	else if (reg >= REG_TMR && reg < REG_TMR + 8)
		*value = l->tmr[reg - REG_TMR];
	else if (reg >= REG_IRR && reg < REG_IRR + 8)
		*value = l->irr[reg - REG_IRR];
	else if (lvt_index(reg) >= 0)
		*value = l->lvt[lvt_index(reg)];
	else
		switch (reg) {
		case REG_ID:
			*value = x2 ? l->id : l->id << 24;
			break;
		case REG_VERSION:
			*value = VLAPIC_VERSION;
			break;
		case REG_TPR:
			*value = l->tpr;
			break;
		case REG_PPR:
			*value = vlapic_ppr(l);
			break;
		case REG_LDR:
			*value = x2 ? x2apic_ldr(l) : l->ldr;
			break;
		case REG_SVR:
			*value = l->svr;
			break;
		case REG_ESR:
			*value = l->esr;
			break;
		case REG_ICR_LOW:
			*value = l->icr_low;
			break;
		case REG_TIMER_INITIAL:
			*value = l->timer_initial;
			break;
		case REG_TIMER_CURRENT:
			*value = timer_current(l);
			break;
		case REG_TIMER_DIVIDE:
			*value = l->timer_divide;
			break;
		case REG_APR: /* arbitration priority: a P6 register, reads 0 */
		case REG_RRD: /* remote read: not offered */
			return x2 ? REG_NONE : REG_OK;
		case REG_DFR:
			*value = l->dfr;
			return x2 ? REG_NONE : REG_OK;
		case REG_ICR_HIGH:
			*value = l->icr_high;
			return x2 ? REG_NONE : REG_OK;
		case REG_EOI:
			return x2 ? REG_WRITE_ONLY : REG_OK;
		case REG_SELF_IPI:
			return x2 ? REG_WRITE_ONLY : REG_NONE;
		default:
			return REG_NONE;
		}
	return REG_OK;
}

static void write_lvt(struct vlapic *l, int i, uint32_t value)
{
	value &= lvt_writable[i];
	if (!vlapic_sw_enabled(l)) /* SDM 11.4.7.2: masked until software enables the APIC */
		value |= VLAPIC_LVT_MASKED;
	if (i == VLAPIC_LVT_TIMER)
		timer_write_lvt(l, value);
	else
		l->lvt[i] = value;
}

static void write_svr(struct vlapic *l, uint32_t value)
{
	l->svr = value & SVR_WRITABLE;
	if (!vlapic_sw_enabled(l))
		for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
			l->lvt[i] |= VLAPIC_LVT_MASKED;
}

static bool read_only(const struct vlapic *l, unsigned reg)
{
	if (reg >= REG_ISR && reg < REG_IRR + 8)
		return true;
	switch (reg) {
	case REG_ID:
	case REG_VERSION:
	case REG_APR:
	case REG_PPR:
	case REG_RRD:
	case REG_TIMER_CURRENT:
		return true;
	case REG_LDR:
		return vlapic_x2apic(l);
	default:
		return false;
	}
}

/* Writes register `reg` (32 bits; the x2APIC ICR is written in vlapic_msr_write). */
static enum reg_result reg_write(struct vlapic *l, unsigned reg, uint32_t value)
{
	bool x2 = vlapic_x2apic(l);
	uint32_t ignored;
	if (reg_read(l, reg, &ignored) == REG_NONE)
		return REG_NONE;
	if (read_only(l, reg))
		return REG_READ_ONLY;
	if (lvt_index(reg) >= 0) {
		write_lvt(l, lvt_index(reg), value);
		return REG_OK;
	}
	switch (reg) {
	case REG_TPR:
		l->tpr = value & 0xff;
		break;
	case REG_EOI:
		if (x2 && value) /* SDM 11.12.1.2: a non-zero x2APIC EOI write is #GP */
			return REG_BAD_VALUE;
		eoi(l);
		break;
	case REG_LDR:
		l->ldr = value & 0xff000000;
		break;
	case REG_DFR:
		l->dfr = value | 0x0fffffff;
		break;
	case REG_SVR:
		write_svr(l, value);
		break;
	case REG_ESR:
		if (x2 && value) /* SDM 11.12.1.2: only 0 may be written in x2APIC mode */
			return REG_BAD_VALUE;
		l->esr = l->esr_pending; /* a write latches the errors seen since the last one */
		l->esr_pending = 0;
		break;
	case REG_ICR_LOW: /* xAPIC only: x2APIC writes all 64 bits at once */
		l->icr_low = value & ICR_WRITABLE;
		send_ipi(l, l->icr_low, l->icr_high >> 24);
		break;
	case REG_ICR_HIGH:
		l->icr_high = value & 0xff000000;
		break;
	case REG_TIMER_INITIAL:
		timer_write_initial(l, value);
		break;
	case REG_TIMER_DIVIDE:
		timer_write_divide(l, value);
		break;
	case REG_SELF_IPI:
		send_ipi(l, (value & 0xff) | (uint32_t)APIC_DEST_SELF << 18, 0);
		break;
	default:
		return REG_NONE;
	}
	return REG_OK;
}

void vlapic_mmio(struct vlapic *l, uint32_t offset, unsigned size, bool write, uint64_t *value)
{
	unsigned reg = (offset & 0xfff) >> 4;
	uint32_t v = 0;
	if (size != 4 || (offset & 0xf)) { /* not a register's first 4 bytes: see vlapic.h */
		if (!write)
			*value = 0;
		return;
	}
	enum reg_result r = write ? reg_write(l, reg, (uint32_t)*value) : reg_read(l, reg, &v);
	if (r == REG_NONE)
		signal_error(l, VLAPIC_ESR_ILLEGAL_REGISTER);
	if (!write)
		*value = v;
}

bool vlapic_msr_owned(uint32_t msr)
{
	return msr == VLAPIC_MSR_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
	       (msr >= 0x800 && msr <= 0x8ff);
}

/* IA32_APIC_BASE writes (SDM 11.12.5, Figure 11-27). kan does not relocate the xAPIC page, so
 * a base other than 0xfee00000 is refused with #GP like a reserved bit. */
static int write_apic_base(struct vlapic *l, uint64_t value)
{
	bool en = value & VLAPIC_BASE_EN, extd = value & VLAPIC_BASE_EXTD;
	if ((value & BASE_RESERVED) || (value & BASE_ADDRESS_MASK) != VLAPIC_BASE_ADDRESS)
		return -1;
	if (extd && !en) /* the invalid state */
		return -1;
	if (en && extd && !vlapic_hw_enabled(l)) /* disabled -> x2APIC must pass by xAPIC */
		return -1;
	if (en && !extd && vlapic_x2apic(l)) /* x2APIC -> xAPIC must pass by disabled */
		return -1;
	bool disabling = vlapic_hw_enabled(l) && !en;
	l->apic_base = (l->apic_base & VLAPIC_BASE_BSP) | (value & ~(uint64_t)VLAPIC_BASE_BSP);
	if (disabling) /* SDM 11.4.3: the APIC returns to its power-up state */
		reset_registers(l);
	return 0;
}

int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *value)
{
	*value = 0;
	if (msr == VLAPIC_MSR_APIC_BASE) {
		*value = l->apic_base;
		return 0;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (timer_mode(l) == VLAPIC_TIMER_DEADLINE)
			*value = l->tsc_deadline;
		return 0;
	}
	if (!vlapic_x2apic(l) || msr < 0x800 || msr > 0x8ff) /* SDM 11.12.2 */
		return -1;
	unsigned reg = msr - 0x800;
	if (reg == REG_ICR_LOW) {
		*value = (uint64_t)l->icr_high << 32 | l->icr_low;
		return 0;
	}
	uint32_t v;
	if (reg_read(l, reg, &v) != REG_OK)
		return -1;
	*value = v;
	return 0;
}

int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t value)
{
	if (msr == VLAPIC_MSR_APIC_BASE)
		return write_apic_base(l, value);
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		timer_write_deadline(l, value);
		return 0;
	}
	if (!vlapic_x2apic(l) || msr < 0x800 || msr > 0x8ff)
		return -1;
	unsigned reg = msr - 0x800;
	if (reg == REG_ICR_LOW) {
		l->icr_low = (uint32_t)value & ICR_WRITABLE;
		l->icr_high = (uint32_t)(value >> 32);
		send_ipi(l, l->icr_low, l->icr_high);
		return 0;
	}
	if (value >> 32) /* bits 63:32 of the 32-bit registers are reserved */
		return -1;
	return reg_write(l, reg, (uint32_t)value) == REG_OK ? 0 : -1;
}
