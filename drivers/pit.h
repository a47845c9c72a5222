/* The 8254 PIT, used once to learn how fast the TSC runs. */
#ifndef KAN_DRIVERS_PIT_H
#define KAN_DRIVERS_PIT_H

#include <stdint.h>

/* TSC ticks per second, measured over 10 ms of PIT channel 2; 0 if the PIT never counted. */
uint64_t pit_measure_tsc_hz(void);

#endif
