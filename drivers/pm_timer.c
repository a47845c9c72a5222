#include "drivers/pm_timer.h"
#include "arch/x86_64/cpu.h"

static uint16_t port;
static uint32_t mask;

bool pm_timer_init(const struct fadt_info *fadt)
{
	const struct acpi_gas *t = &fadt->pm_timer;
	if (!fadt->present || (fadt->flags & FADT_FLAG_HW_REDUCED) || t->space != ACPI_SPACE_IO ||
	    !t->address || t->address > 0xfffc)
		return false;
	port = (uint16_t)t->address;
	mask = fadt->pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	return true;
}

uint32_t pm_timer_read(void)
{
	return inl(port) & mask;
}

uint32_t pm_timer_mask(void)
{
	return mask;
}
