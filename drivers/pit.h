/* The 8254 PIT's channel 2, counting freely so kan can learn how fast the TSC runs. */
#ifndef KAN_DRIVERS_PIT_H
#define KAN_DRIVERS_PIT_H

#include <stdint.h>

#define PIT_HZ 1193182u

/* Gate channel 2 on (speaker off) and let it count down from 0xffff, wrapping. */
void pit_channel2_start(void);
/* Its count now (16 bits, counting down). A PIT that is absent or gated reads a constant. */
uint32_t pit_channel2_read(void);
/* Port 0x61 as it was before start. */
void pit_channel2_stop(void);

#endif
