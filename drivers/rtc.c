#include "drivers/rtc.h"
#include "arch/x86_64/cpu.h"

#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define NMI_DISABLE  0x80
#define REG_STATUS_A 0x0a
#define REG_STATUS_B 0x0b
#define REG_STATUS_D 0x0d
#define REG_CENTURY  0x32
#define STATUS_A_UIP 0x80 /* an update is in progress: the time registers are changing */
#define STATUS_B_24H 0x02
#define STATUS_B_BIN 0x04 /* binary, not BCD */
#define HOUR_PM	     0x80 /* in 12-hour mode */
#define RTC_WAIT_MS  20	  /* for the whole read: several updates' worth */

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

static unsigned from_bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0x0f);
}

/* Waits for the update flag to drop; false at the deadline. An update holds it for at most
 * 2.23 ms (244 us of warning, then the update), so a flag set for 10 ms means no RTC. */
static bool wait_outside_update(uint64_t deadline)
{
	while (cmos(REG_STATUS_A) & STATUS_A_UIP)
		if (rdtsc() > deadline)
			return false;
	return true;
}

bool rtc_read(struct calendar_time *out, uint64_t tsc_hz)
{
	uint8_t regs[2][7];
	/* An absent RTC floats the bus: every register reads 0xff. */
	if (cmos(REG_STATUS_A) == 0xff && cmos(REG_STATUS_B) == 0xff) {
		outb(CMOS_INDEX, REG_STATUS_D);
		return false;
	}
	uint64_t deadline = rdtsc() + tsc_hz / 1000 * RTC_WAIT_MS;
	/* Read twice outside an update until both reads agree, so no field rolls over between. */
	for (bool agree = false; !agree;) {
		for (int r = 0; r < 2; r++) {
			if (!wait_outside_update(deadline)) {
				outb(CMOS_INDEX, REG_STATUS_D);
				return false;
			}
			const uint8_t index[7] = {
				0x00, 0x02, 0x04, 0x07, 0x08, 0x09, REG_CENTURY
			};
			for (int i = 0; i < 7; i++)
				regs[r][i] = cmos(index[i]);
		}
		agree = !__builtin_memcmp(regs[0], regs[1], sizeof(regs[0]));
		if (!agree && rdtsc() > deadline) {
			outb(CMOS_INDEX, REG_STATUS_D);
			return false;
		}
	}
	uint8_t b = cmos(REG_STATUS_B);
	outb(CMOS_INDEX, REG_STATUS_D); /* bit 7 clear: the NMI mask off again */
	bool binary = b & STATUS_B_BIN;
	const uint8_t *v = regs[0];
	unsigned hour = from_bcd(v[2] & (uint8_t)~HOUR_PM, binary);
	if (!(b & STATUS_B_24H)) /* 12-hour clock: 12 AM is 0, 12 PM is 12 */
		hour = hour % 12 + (v[2] & HOUR_PM ? 12 : 0);
	unsigned century = from_bcd(v[6], binary);
	unsigned year = from_bcd(v[5], binary);
	year += century >= 19 && century <= 21 ? century * 100 : (year < 70 ? 2000 : 1900);
	*out = (struct calendar_time){ .year = year,
				       .month = from_bcd(v[4], binary),
				       .day = from_bcd(v[3], binary),
				       .hour = hour,
				       .minute = from_bcd(v[1], binary),
				       .second = from_bcd(v[0], binary) };
	return out->month >= 1 && out->month <= 12 && out->day >= 1 && out->day <= 31 &&
	       out->hour < 24 && out->minute < 60 && out->second < 60;
}
