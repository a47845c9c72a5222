/*
 * Hostile: floods kan's console for ms= milliseconds, through the UART ("-- hc=0", one exit
 * per byte) or KAN_HC_CONSOLE_WRITE ("-- hc=1", 4096 bytes per call). kan buffers console
 * output; a guest that prints more than its budget allows must lose its own bytes or wait
 * on its own time, never stall the other VMs on its CPU.
 *
 * First it spends its budget's burst through the hypercall, calling until it takes nothing
 * (the UART's LSR would also say busy when kan's console is merely behind), so that the
 * flood after it gets the budget's rate alone: 4096 bytes a second, exactly. Then it floods
 * without looking: the UART flood writes THR blind, and what kan drops it counts. It prints letters
 * only, so kan splits its lines at 200 bytes and every byte printed is one it was given. Its own
 * lines go through the hypercall, so that they do not depend on the UART it floods.
 */
#include "guest.h"

static char block[4096];

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 1000), hc = guest_arg(info, "hc", 0);
	for (unsigned i = 0; i < sizeof(block); i++)
		block[i] = (char)('a' + i % 26);
	guest_console_use_hypercall();
	uint64_t burst_tsc = guest_rdtsc();
	guest_printf("console-flood: printing as fast as I can for %lu ms through %s\n", ms,
		     hc ? "KAN_HC_CONSOLE_WRITE" : "the UART");
	uint64_t burst = 0, bytes = 0, off = 0;
	for (int64_t n; (n = kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)block + off,
					   sizeof(block) - off, 0)) > 0;) {
		burst += (uint64_t)n;
		off = (off + (uint64_t)n) % sizeof(block);
	}
	uint64_t tsc = guest_rdtsc();
	burst_tsc = tsc - burst_tsc;
	uint64_t start = kan_time_ns(), end = start + ms * 1000000;
	while (kan_time_ns() < end) {
		if (hc) {
			/* kan takes what this VM's console budget allows: go on from there. */
			int64_t n = kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)block + off,
						  sizeof(block) - off, 0);
			if (n > 0) {
				bytes += (uint64_t)n;
				off = (off + (uint64_t)n) % sizeof(block);
			}
		} else {
			for (unsigned i = 0; i < 64; i++, bytes++)
				guest_out(KAN_UART_PORT, 1, (uint8_t)block[bytes % sizeof(block)]);
		}
	}
	tsc = guest_rdtsc() - tsc;
	guest_printf(
		"\nconsole-flood done: %lu bytes in %lu TSC ticks while the burst lasted (after my "
		"first line), then %lu bytes %s in %lu TSC ticks (%lu us)\n",
		burst, burst_tsc, bytes, hc ? "taken" : "written blind", tsc,
		(kan_time_ns() - start) / 1000);
	return 0;
}
