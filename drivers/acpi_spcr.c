/* The SPCR (Microsoft's Serial Port Console Redirection Table, revision 2 and later). */
#include "drivers/acpi_spcr.h"
#include "kernel/string.h"

/* Byte offsets in the SPCR. */
#define SPCR_INTERFACE_TYPE 36
#define SPCR_BASE_ADDRESS   40
#define SPCR_INTERRUPT_TYPE 52
#define SPCR_IRQ	    53
#define SPCR_BAUD_RATE	    58
#define SPCR_MIN_LENGTH	    59

void acpi_spcr_parse(const struct acpi_header *spcr, struct spcr_info *out)
{
	memset(out, 0, sizeof(*out));
	if (spcr->length < SPCR_MIN_LENGTH)
		return;
	const uint8_t *p = (const uint8_t *)spcr;
	out->present = true;
	out->interface = p[SPCR_INTERFACE_TYPE];
	memcpy(&out->base, p + SPCR_BASE_ADDRESS, sizeof(out->base));
	if (p[SPCR_INTERRUPT_TYPE] & SPCR_INTERRUPT_PC_AT)
		out->isa_irq = p[SPCR_IRQ];
	static const uint32_t bauds[8] = { [3] = 9600, [4] = 19200, [6] = 57600, [7] = 115200 };
	out->baud = p[SPCR_BAUD_RATE] < 8 ? bauds[p[SPCR_BAUD_RATE]] : 0;
}

bool acpi_read_spcr(struct spcr_info *out)
{
	const struct acpi_header *spcr = acpi_find_table("SPCR", 0);
	if (!spcr) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	acpi_spcr_parse(spcr, out);
	return out->present;
}

uint16_t spcr_io_port(const struct spcr_info *spcr)
{
	bool a_16550 = spcr->interface == SPCR_INTERFACE_16550 ||
		       spcr->interface == SPCR_INTERFACE_16450 ||
		       spcr->interface == SPCR_INTERFACE_16550_GAS;
	if (!spcr->present || !a_16550 || spcr->base.space != ACPI_SPACE_IO ||
	    !spcr->base.address || spcr->base.address > 0xfff8)
		return 0;
	return (uint16_t)spcr->base.address;
}
