#include "kernel/calendar.h"

/* Days since 1970-01-01 of a civil date, and back: the era arithmetic of the Gregorian
 * 400-year cycle (146097 days), with March as the first month so leap days come last. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t calendar_to_seconds(const struct calendar_time *t)
{
	int64_t days = days_from_civil(t->year, t->month, t->day);
	return (uint64_t)days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}

struct calendar_time calendar_from_seconds(uint64_t seconds)
{
	struct calendar_time t;
	uint64_t days = seconds / 86400, rest = seconds % 86400;
	t.hour = (unsigned)(rest / 3600);
	t.minute = (unsigned)(rest / 60 % 60);
	t.second = (unsigned)(rest % 60);
	t.weekday = (unsigned)((days + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
	int64_t z = (int64_t)days + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	t.day = doy - (153 * mp + 2) / 5 + 1;
	t.month = mp < 10 ? mp + 3 : mp - 9;
	t.year = (unsigned)(yoe + era * 400 + (t.month <= 2));
	return t;
}
