/* kan's clock: the TSC, calibrated once against the PIT. */
#ifndef KAN_KERNEL_TIME_H
#define KAN_KERNEL_TIME_H

#include <stdint.h>

void time_init(void);
uint64_t time_tsc_hz(void);
uint64_t time_us_to_tsc(uint64_t us);
uint64_t time_tsc_to_us(uint64_t tsc);
uint64_t time_now_ns(void);

#endif
