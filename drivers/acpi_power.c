/*
 * S5 soft-off and the reset register (ACPI 6.x, 4.8.3.2 PM1 control, 7.4.2 \_Sx, 4.8.3.6
 * reset register). Untested on real hardware; Bochs and QEMU power off through PM1a.
 */
#include "drivers/acpi_power.h"
#include "arch/x86_64/cpu.h"
#include "drivers/acpi.h"
#include "drivers/acpi_s5.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define PM1_SCI_EN		(1u << 0)
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP_MASK	(7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN		(1u << 13)
#define SLEEP_CONTROL_TYP_SHIFT 2 /* hardware-reduced ACPI, 4.8.3.7 */
#define SLEEP_CONTROL_SLP_EN	(1u << 5)
#define ACPI_ENABLE_WAIT_US	1000000 /* for the firmware's SMI to set SCI_EN */
#define POWER_OFF_WAIT_US	500000
#define DSDT_MAX_LENGTH		(16u << 20)
#define ADDRESS_LIMIT		(4ull << 30) /* what kan's page tables map */
#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc

void acpi_power_wait_us(unsigned long us)
{
	uint64_t ticks = time_us_to_tsc(us);
	if (!ticks)
		ticks = us * 1000; /* not calibrated yet: about 1 GHz */
	for (uint64_t end = rdtsc() + ticks; rdtsc() < end;)
		cpu_relax();
}

static unsigned gas_bits(const struct acpi_gas *g, unsigned fallback)
{
	if (g->bit_width == 8 || g->bit_width == 16 || g->bit_width == 32)
		return g->bit_width;
	if (g->access_size >= 1 && g->access_size <= 3)
		return 8u << (g->access_size - 1);
	return fallback;
}

static uint32_t gas_read(const struct acpi_gas *g, unsigned fallback_bits)
{
	unsigned bits = gas_bits(g, fallback_bits);
	if (g->space == ACPI_SPACE_IO) {
		uint16_t port = (uint16_t)g->address;
		uint32_t v;
		if (bits == 8)
			__asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
		else if (bits == 16)
			__asm__ volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
		else
			__asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
		return bits == 32 ? v : v & ((1u << bits) - 1);
	}
	if (g->space == ACPI_SPACE_MEMORY && g->address + 4 <= ADDRESS_LIMIT) {
		volatile void *p = (volatile void *)(uintptr_t)g->address;
		return bits == 8    ? *(volatile uint8_t *)p
		       : bits == 16 ? *(volatile uint16_t *)p
				    : *(volatile uint32_t *)p;
	}
	return 0;
}

static bool gas_write(const struct acpi_gas *g, uint32_t v, unsigned fallback_bits)
{
	unsigned bits = gas_bits(g, fallback_bits);
	if (g->space == ACPI_SPACE_IO && g->address) {
		uint16_t port = (uint16_t)g->address;
		if (bits == 8)
			__asm__ volatile("outb %b0, %w1" ::"a"(v), "Nd"(port));
		else if (bits == 16)
			__asm__ volatile("outw %w0, %w1" ::"a"(v), "Nd"(port));
		else
			__asm__ volatile("outl %0, %w1" ::"a"(v), "Nd"(port));
		return true;
	}
	if (g->space == ACPI_SPACE_MEMORY && g->address && g->address + 4 <= ADDRESS_LIMIT) {
		volatile void *p = (volatile void *)(uintptr_t)g->address;
		if (bits == 8)
			*(volatile uint8_t *)p = (uint8_t)v;
		else if (bits == 16)
			*(volatile uint16_t *)p = (uint16_t)v;
		else
			*(volatile uint32_t *)p = v;
		return true;
	}
	if (g->space == ACPI_SPACE_PCI) {
		/* Bus 0: device in bits 47:32, function in 31:16, register in 15:0 (5.2.3.2). */
		uint32_t device = (g->address >> 32) & 0x1f, function = (g->address >> 16) & 7;
		uint32_t reg = g->address & 0xff;
		outl(PCI_CONFIG_ADDRESS, 0x80000000u | device << 11 | function << 8 | (reg & 0xfc));
		outb((uint16_t)(PCI_CONFIG_DATA + (reg & 3)), (uint8_t)v);
		return true;
	}
	return false;
}

/* \_S5's SLP_TYP values from the DSDT, which kan reads but does not interpret. */
static bool s5_sleep_types(const struct fadt_info *f, uint8_t *a, uint8_t *b)
{
	if (!f->dsdt || f->dsdt + sizeof(struct acpi_header) > ADDRESS_LIMIT)
		return false;
	const struct acpi_header *dsdt = (const void *)(uintptr_t)f->dsdt;
	if (memcmp(dsdt->signature, "DSDT", 4) || dsdt->length < sizeof(*dsdt) ||
	    dsdt->length > DSDT_MAX_LENGTH || f->dsdt + dsdt->length > ADDRESS_LIMIT)
		return false;
	return acpi_s5_find((const uint8_t *)(dsdt + 1), dsdt->length - sizeof(*dsdt), a, b);
}

/* Legacy firmware starts in SMM-owned mode: SCI_EN clear until ACPI_ENABLE goes to SMI_CMD. */
static void enable_acpi_mode(const struct fadt_info *f)
{
	if (gas_read(&f->pm1a_cnt, 16) & PM1_SCI_EN || !f->smi_cmd || !f->acpi_enable)
		return;
	outb((uint16_t)f->smi_cmd, f->acpi_enable);
	for (unsigned i = 0; i < 100 && !(gas_read(&f->pm1a_cnt, 16) & PM1_SCI_EN); i++)
		acpi_power_wait_us(ACPI_ENABLE_WAIT_US / 100);
}

static void write_sleep_type(const struct acpi_gas *cnt, uint8_t typ, uint32_t extra)
{
	if (!cnt->address)
		return;
	uint32_t v = gas_read(cnt, 16) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
	gas_write(cnt, v | (uint32_t)(typ & 7) << PM1_SLP_TYP_SHIFT | extra, 16);
}

/* What S5 needs, read without touching the hardware: false with the reason if it is missing. */
static bool s5_ready(struct fadt_info *f, uint8_t *typ_a, uint8_t *typ_b, const char **why)
{
	if (!acpi_read_fadt(f)) {
		*why = "no ACPI FADT";
		return false;
	}
	if (!s5_sleep_types(f, typ_a, typ_b)) {
		*why = "the DSDT has no \\_S5 package kan can read";
		return false;
	}
	bool reduced = f->flags & FADT_FLAG_HW_REDUCED;
	if (reduced ? !f->sleep_control.address : !f->pm1a_cnt.address) {
		*why = reduced ? "hardware-reduced ACPI without a sleep control register"
			       : "the FADT has no PM1a control block";
		return false;
	}
	return true;
}

bool acpi_power_off_possible(uint8_t *typ_a, uint8_t *typ_b, const char **why)
{
	struct fadt_info f;
	return s5_ready(&f, typ_a, typ_b, why);
}

void acpi_power_off(const char **why)
{
	struct fadt_info f;
	uint8_t typ_a, typ_b;
	if (!s5_ready(&f, &typ_a, &typ_b, why))
		return;
	if (f.flags & FADT_FLAG_HW_REDUCED) {
		if (!gas_write(&f.sleep_control,
			       (uint32_t)(typ_a & 7) << SLEEP_CONTROL_TYP_SHIFT |
				       SLEEP_CONTROL_SLP_EN,
			       8)) {
			*why = "the sleep control register is in an address space kan cannot write";
			return;
		}
	} else {
		enable_acpi_mode(&f);
		/* The type first, then SLP_EN, as ACPICA does: some chipsets latch it that way. */
		write_sleep_type(&f.pm1a_cnt, typ_a, 0);
		write_sleep_type(&f.pm1b_cnt, typ_b, 0);
		write_sleep_type(&f.pm1a_cnt, typ_a, PM1_SLP_EN);
		write_sleep_type(&f.pm1b_cnt, typ_b, PM1_SLP_EN);
	}
	acpi_power_wait_us(POWER_OFF_WAIT_US);
	*why = "the machine is still on after the S5 write";
}

void acpi_reset(const char **why)
{
	struct fadt_info f;
	if (!acpi_read_fadt(&f) || !(f.flags & FADT_FLAG_RESET_REG_SUP) || !f.reset_reg.address) {
		*why = "no ACPI reset register";
		return;
	}
	if (!gas_write(&f.reset_reg, f.reset_value, 8)) {
		*why = "the ACPI reset register is in an address space kan cannot write";
		return;
	}
	acpi_power_wait_us(POWER_OFF_WAIT_US);
	*why = "the ACPI reset register did not reset the machine";
}
