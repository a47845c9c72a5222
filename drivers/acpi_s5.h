/*
 * The sleep type values of ACPI's soft-off state S5, read from the DSDT's AML without an AML
 * interpreter: kan needs two numbers from one Name, not the namespace.
 */
#ifndef KAN_DRIVERS_ACPI_S5_H
#define KAN_DRIVERS_ACPI_S5_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Scans `len` bytes of AML for `Name (_S5_, Package () { a, b, ... })` (the name may carry a
 * root prefix '\') and returns a and b, the SLP_TYP values for PM1a_CNT and PM1b_CNT. False
 * when there is no such Name, or its first two elements are not integer constants. Pure,
 * bounded by `len`.
 */
bool acpi_s5_find(const uint8_t *aml, uint32_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

#endif
