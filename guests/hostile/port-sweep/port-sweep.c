/*
 * Hostile: every I/O port but COM1's, with OUT then IN of each size (1, 2, 4 bytes). kan
 * owns them all: each IN must read all ones, whatever was written before. Accesses that
 * touch COM1 (0x3f8-0x3ff) are skipped: they are this guest's console. Ends with status 0 if
 * every read was all ones. "-- step=N" sweeps every Nth port only (for crowded scenarios).
 */
#include "guest.h"

#define COM1_FIRST    0x3f8
#define COM1_LAST     0x3ff
#define PORTS	      0x10000
#define REPORT_EVERY  0x2000
#define WRONG_TO_SHOW 8

static int touches_com1(uint32_t port, unsigned size)
{
	return port <= COM1_LAST && port + size - 1 >= COM1_FIRST;
}

static uint32_t all_ones(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

int64_t guest_main(const struct kan_start_info *info)
{
	static const unsigned sizes[] = { 1, 2, 4 };
	uint32_t step = (uint32_t)guest_arg(info, "step", 1);
	if (!step)
		step = 1;
	/* A pattern with the reset bits of 0xcf9, 0x92 and 0x64 set, as a hostile guest would. */
	static const uint32_t patterns[] = { 0xa5, 0xa5fe, 0xa5a5fe0f };
	uint64_t accesses = 0, skipped = 0, wrong = 0, start = kan_time_ns();
	guest_printf("port-sweep: OUT then IN of sizes 1, 2, 4 on ports 0-0xffff in steps of %u, "
		     "but COM1's; every IN must read all ones\n",
		     step);
	for (uint32_t port = 0; port < PORTS; port += step) {
		if (port && port % REPORT_EVERY < step)
			guest_printf("port-sweep: ports 0x0-0x%x done, %lu accesses, %lu wrong\n",
				     port - 1, accesses, wrong);
		for (unsigned i = 0; i < 3; i++) {
			unsigned size = sizes[i];
			if (touches_com1(port, size)) {
				skipped++;
				continue;
			}
			guest_out((uint16_t)port, size, patterns[i]);
			uint32_t v = guest_in((uint16_t)port, size);
			accesses += 2;
			if (v != all_ones(size) && wrong++ < WRONG_TO_SHOW)
				guest_printf(
					"port-sweep: WRONG: IN of size %u at port 0x%x read 0x%x\n",
					size, port, v);
		}
	}
	uint64_t us = (kan_time_ns() - start) / 1000;
	guest_printf("port-sweep done: %lu accesses (%lu OUT + %lu IN) in %lu us, %lu skipped for "
		     "COM1, %lu reads not all ones\n",
		     accesses, accesses / 2, accesses / 2, us, skipped, wrong);
	return wrong ? 1 : 0;
}
