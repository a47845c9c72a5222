/* Ending a real machine through ACPI's fixed hardware: S5 soft-off, and the reset register. */
#ifndef KAN_DRIVERS_ACPI_POWER_H
#define KAN_DRIVERS_ACPI_POWER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Enters S5 (soft-off): SLP_TYP from the DSDT's \_S5 package and SLP_EN written to PM1a_CNT
 * and PM1b_CNT (or to the sleep control register on a hardware-reduced machine), after
 * turning ACPI mode on through SMI_CMD if the firmware left it off. Returns only when that
 * was impossible or did not power the machine off, with the reason in `why`.
 */
void acpi_power_off(const char **why);

/* Whether acpi_power_off has what it needs (kan check): the SLP_TYP values, or the reason. */
bool acpi_power_off_possible(uint8_t *typ_a, uint8_t *typ_b, const char **why);

/* Writes the FADT's reset register, if it has one; returns if the machine did not reset. */
void acpi_reset(const char **why);

/* Wait used between an attempt and the next one. */
void acpi_power_wait_us(unsigned long us);

#endif
