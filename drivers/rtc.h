/* The machine's CMOS real-time clock, read once at boot for the wall-clock time. */
#ifndef KAN_DRIVERS_RTC_H
#define KAN_DRIVERS_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/calendar.h"

/* The time the RTC shows, taken as UTC; false if it is absent (reads all-ones), stayed in an
 * update for 20 ms of the TSC (at tsc_hz), or made no sense. */
bool rtc_read(struct calendar_time *out, uint64_t tsc_hz);

#endif
