/* The ACPI power-management timer: 3.579545 MHz, 24 or 32 bits, at the FADT's I/O port. */
#ifndef KAN_DRIVERS_PM_TIMER_H
#define KAN_DRIVERS_PM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/acpi.h"

#define PM_TIMER_HZ 3579545u

/* Takes the FADT's timer if it is in I/O space (kan reads no MMIO timer); false if none. */
bool pm_timer_init(const struct fadt_info *fadt);
uint32_t pm_timer_read(void);
/* 0xffffff or 0xffffffff. */
uint32_t pm_timer_mask(void);

#endif
