/*
 * The FADT (ACPI 6.x, 5.2.9): the fixed hardware's ports (PM timer, PM1 control, reset
 * register), the DSDT, and the boot architecture flags that say which legacy devices exist.
 */
#include "drivers/acpi.h"
#include "kernel/string.h"

/* Byte offsets in the FADT. Tables shorter than a field's end leave it absent. */
#define FADT_DSDT	   40
#define FADT_SCI_INT	   46
#define FADT_SMI_CMD	   48
#define FADT_ACPI_ENABLE   52
#define FADT_PM1A_CNT_BLK  64
#define FADT_PM1B_CNT_BLK  68
#define FADT_PM_TMR_BLK	   76
#define FADT_CENTURY	   108
#define FADT_IAPC_BOOT	   109
#define FADT_FLAGS	   112
#define FADT_RESET_REG	   116
#define FADT_RESET_VALUE   128
#define FADT_X_DSDT	   140
#define FADT_X_PM1A_CNT	   172
#define FADT_X_PM1B_CNT	   184
#define FADT_X_PM_TMR	   208
#define FADT_SLEEP_CONTROL 244

static bool has(const struct acpi_header *t, unsigned offset, unsigned size)
{
	return t->length >= offset + size;
}

static uint32_t read32(const struct acpi_header *t, unsigned offset)
{
	uint32_t v = 0;
	if (has(t, offset, 4))
		memcpy(&v, (const uint8_t *)t + offset, 4);
	return v;
}

static uint64_t read64(const struct acpi_header *t, unsigned offset)
{
	uint64_t v = 0;
	if (has(t, offset, 8))
		memcpy(&v, (const uint8_t *)t + offset, 8);
	return v;
}

static uint8_t read8(const struct acpi_header *t, unsigned offset)
{
	return has(t, offset, 1) ? ((const uint8_t *)t)[offset] : 0;
}

static struct acpi_gas read_gas(const struct acpi_header *t, unsigned offset)
{
	struct acpi_gas g = { 0 };
	if (has(t, offset, 12))
		memcpy(&g, (const uint8_t *)t + offset, 12);
	return g;
}

/* The 64-bit GAS form wins where it names a non-zero address; else the 32-bit port block. */
static struct acpi_gas block(const struct acpi_header *t, unsigned x_offset, unsigned offset,
			     uint8_t bits)
{
	struct acpi_gas g = read_gas(t, x_offset);
	if (g.address)
		return g;
	g = (struct acpi_gas){ 0 };
	g.address = read32(t, offset);
	g.space = ACPI_SPACE_IO;
	g.bit_width = g.address ? bits : 0;
	return g;
}

void acpi_fadt_parse(const struct acpi_header *fadt, struct fadt_info *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	out->revision = fadt->revision;
	out->dsdt = read64(fadt, FADT_X_DSDT);
	if (!out->dsdt)
		out->dsdt = read32(fadt, FADT_DSDT);
	out->sci_irq = has(fadt, FADT_SCI_INT, 2)
			       ? (uint16_t)read8(fadt, FADT_SCI_INT) |
					 (uint16_t)read8(fadt, FADT_SCI_INT + 1) << 8
			       : 0;
	out->smi_cmd = read32(fadt, FADT_SMI_CMD);
	out->acpi_enable = read8(fadt, FADT_ACPI_ENABLE);
	out->flags = read32(fadt, FADT_FLAGS);
	out->pm_timer = block(fadt, FADT_X_PM_TMR, FADT_PM_TMR_BLK, 32);
	out->pm_timer_32bit = out->flags & FADT_FLAG_TMR_VAL_EXT;
	out->pm1a_cnt = block(fadt, FADT_X_PM1A_CNT, FADT_PM1A_CNT_BLK, 16);
	out->pm1b_cnt = block(fadt, FADT_X_PM1B_CNT, FADT_PM1B_CNT_BLK, 16);
	out->sleep_control = read_gas(fadt, FADT_SLEEP_CONTROL);
	if (out->flags & FADT_FLAG_RESET_REG_SUP) {
		out->reset_reg = read_gas(fadt, FADT_RESET_REG);
		out->reset_value = read8(fadt, FADT_RESET_VALUE);
	}
	out->century_cmos_index = read8(fadt, FADT_CENTURY);
	/* IAPC_BOOT_ARCH exists from FADT revision 2 (ACPI 2.0); 1.0 tables imply a legacy PC. */
	out->boot_arch = fadt->revision >= 2 && has(fadt, FADT_IAPC_BOOT, 2)
				 ? (uint16_t)(read8(fadt, FADT_IAPC_BOOT) |
					      read8(fadt, FADT_IAPC_BOOT + 1) << 8)
				 : FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042;
}

bool acpi_read_fadt(struct fadt_info *out)
{
	const struct acpi_header *fadt = acpi_find_table("FACP", 0);
	if (!fadt) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	acpi_fadt_parse(fadt, out);
	return true;
}

bool acpi_written_by_emulator(const struct acpi_header *t)
{
	/* Bochs's BIOS and QEMU (for SeaBIOS and OVMF alike) sign their tables so; no real
	 * firmware uses Bochs's OEM ID. */
	return !memcmp(t->oem, "BOCHS ", 6) && !memcmp(t->oem_table, "BXPC", 4);
}
