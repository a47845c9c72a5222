/* kan's clock: the TSC, calibrated once at boot (kernel/calibrate.h says how), and the RTC's
 * date at boot. time_init needs acpi_init to have run: the FADT names the PM timer. */
#ifndef KAN_KERNEL_TIME_H
#define KAN_KERNEL_TIME_H

#include <stdint.h>

void time_init(void);
uint64_t time_tsc_hz(void);
uint64_t time_us_to_tsc(uint64_t us);
uint64_t time_tsc_to_us(uint64_t tsc);
uint64_t time_now_ns(void);
/* Wall-clock seconds since 1970 (UTC): the machine's RTC at boot plus the TSC since; 0 if
 * the RTC could not be read. */
uint64_t time_wall_seconds(void);

#endif
