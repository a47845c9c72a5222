/* Dates for clocks kan reads and gives (the host's RTC, a Linux VM's CMOS RTC): UTC,
 * proleptic Gregorian, seconds since 1970-01-01. */
#ifndef KAN_KERNEL_CALENDAR_H
#define KAN_KERNEL_CALENDAR_H

#include <stdint.h>

struct calendar_time {
	unsigned year, month, day; /* month 1-12, day 1-31 */
	unsigned hour, minute, second;
	unsigned weekday; /* 1 (Sunday) to 7, as the CMOS RTC counts */
};

uint64_t calendar_to_seconds(const struct calendar_time *t);
struct calendar_time calendar_from_seconds(uint64_t seconds);

#endif
