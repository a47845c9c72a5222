/* What one guest may send to kan's console (GCRA): pure, the caller says what time it is. */
#include "kernel/console.h"

/* Each slot of the budget is one byte's worth of TSC ticks; the burst is that many slots
 * ahead of now. */
static uint64_t byte_ticks(uint64_t tsc_hz)
{
	return tsc_hz / CONSOLE_GUEST_BYTES_PER_SECOND;
}

size_t console_budget_available_at(const struct console_budget *budget, uint64_t now,
				   uint64_t tsc_hz)
{
	uint64_t ticks = byte_ticks(tsc_hz);
	uint64_t limit = now + CONSOLE_GUEST_BURST_BYTES * ticks;
	uint64_t from = budget->next_tsc > now ? budget->next_tsc : now;
	return from >= limit ? 0 : (size_t)((limit - from) / ticks);
}

void console_budget_spend_at(struct console_budget *budget, size_t bytes, uint64_t now,
			     uint64_t tsc_hz)
{
	if (budget->next_tsc < now)
		budget->next_tsc = now;
	budget->next_tsc += bytes * byte_ticks(tsc_hz);
}
