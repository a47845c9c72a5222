/*
 * Hostile, in pairs on one CPU: CR0.CD and CR0.NW are bits a VM entry and a VM exit leave as
 * they are (SDM 27.3.2.1, 28.5.1), so unless kan intercepts them, a guest that writes them
 * changes them for kan and for every VM that runs after it on that CPU (and on real
 * hardware turns the caches off for them all). The writer ("-- write=1") flips CD and NW
 * through valid combinations for ms= milliseconds and ends with both clear; the watcher
 * reads its own CR0 for ms= milliseconds, yielding between reads, and counts every change it
 * did not make. Both end with status 0 if CR0 stayed each one's own.
 */
#include "guest.h"

#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)

static int64_t writer(uint64_t ms)
{
	static const uint64_t caching[] = { 0, CR0_CD, CR0_CD | CR0_NW }; /* the valid ones */
	uint64_t base = guest_read_cr0() & ~(CR0_CD | CR0_NW), writes = 0, wrong = 0;
	guest_printf("cr0-share: writer: cycling CR0.CD/NW through 00, 10, 11 for %lu ms\n", ms);
	uint64_t end = kan_time_ns() + ms * 1000000;
	while (kan_time_ns() < end) {
		uint64_t value = base | caching[writes % 3];
		int vector = guest_write_cr0_safe(value);
		if ((vector != GUEST_NO_TRAP || guest_read_cr0() != value) && wrong++ < 4)
			guest_printf("cr0-share: WRONG: MOV CR0 <- 0x%lx: %s, reads 0x%lx\n", value,
				     guest_vector_name(vector), guest_read_cr0());
		writes++;
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
	}
	guest_write_cr0_safe(base);
	guest_printf("cr0-share done: writer: %lu writes, %lu wrong, leaving CR0 0x%lx\n", writes,
		     wrong, guest_read_cr0());
	return wrong ? 1 : 0;
}

static int64_t watcher(uint64_t ms)
{
	uint64_t mine = guest_read_cr0(), reads = 0, changes = 0, first_seen = 0;
	guest_printf("cr0-share: watcher: my CR0 is 0x%lx; reading it for %lu ms\n", mine, ms);
	uint64_t end = kan_time_ns() + ms * 1000000;
	while (kan_time_ns() < end) {
		uint64_t now = guest_read_cr0();
		if (now != mine && !changes++)
			first_seen = now;
		reads++;
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
	}
	if (changes)
		guest_printf(
			"cr0-share: WRONG: my CR0 changed under me %lu times (first to 0x%lx)\n",
			changes, first_seen);
	guest_printf("cr0-share done: watcher: %lu reads, my CR0 changed under me %lu times\n",
		     reads, changes);
	return changes ? 1 : 0;
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ms = guest_arg(info, "ms", 500);
	return guest_arg(info, "write", 0) ? writer(ms) : watcher(ms);
}
