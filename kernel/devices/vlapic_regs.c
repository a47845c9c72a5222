/* The register file of the virtual local APIC: the xAPIC page, the x2APIC MSRs, IA32_APIC_BASE. */
#include "kernel/devices/vlapic_internal.h"

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

#define SVR_WRITABLE	  0x3ffu   /* vector, enable, focus; no EOI-broadcast suppression */
#define ICR_WRITABLE	  0xccfffu /* vector, delivery, dest mode, level, trigger, shorthand */
#define BASE_ADDRESS_MASK 0x000ffffffffff000ull
#define BASE_RESERVED	  0xfff00000000002ffull /* bits 7:0, 9 and 63:52 (BSP is read-only) */

/* The bits software may write in each LVT entry (SDM Figure 11-8); remote IRR and delivery
 * status are read-only. */
static const uint32_t lvt_writable[VLAPIC_LVT_COUNT] = {
	[VLAPIC_LVT_CMCI] = 0x107ff,  [VLAPIC_LVT_TIMER] = 0x700ff, [VLAPIC_LVT_THERMAL] = 0x107ff,
	[VLAPIC_LVT_PERF] = 0x107ff,  [VLAPIC_LVT_LINT0] = 0x1a7ff, [VLAPIC_LVT_LINT1] = 0x1a7ff,
	[VLAPIC_LVT_ERROR] = 0x100ff,
};

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
			*value = x2 ? vlapic_x2apic_ldr(l) : l->ldr;
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
			*value = vlapic_timer_current(l);
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
		vlapic_timer_write_lvt(l, value);
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
		vlapic_eoi(l);
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
		vlapic_send_ipi(l, l->icr_low, l->icr_high >> 24);
		break;
	case REG_ICR_HIGH:
		l->icr_high = value & 0xff000000;
		break;
	case REG_TIMER_INITIAL:
		vlapic_timer_write_initial(l, value);
		break;
	case REG_TIMER_DIVIDE:
		vlapic_timer_write_divide(l, value);
		break;
	case REG_SELF_IPI:
		vlapic_send_ipi(l, (value & 0xff) | (uint32_t)APIC_DEST_SELF << 18, 0);
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
		vlapic_signal_error(l, VLAPIC_ESR_ILLEGAL_REGISTER);
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
		vlapic_reset_registers(l);
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
		if (vlapic_timer_mode(l) == VLAPIC_TIMER_DEADLINE)
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
		vlapic_timer_write_deadline(l, value);
		return 0;
	}
	if (!vlapic_x2apic(l) || msr < 0x800 || msr > 0x8ff)
		return -1;
	unsigned reg = msr - 0x800;
	if (reg == REG_ICR_LOW) {
		l->icr_low = (uint32_t)value & ICR_WRITABLE;
		l->icr_high = (uint32_t)(value >> 32);
		vlapic_send_ipi(l, l->icr_low, l->icr_high);
		return 0;
	}
	if (value >> 32) /* bits 63:32 of the 32-bit registers are reserved */
		return -1;
	return reg_write(l, reg, (uint32_t)value) == REG_OK ? 0 : -1;
}
