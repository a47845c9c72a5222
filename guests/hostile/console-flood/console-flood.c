/*
 * Hostile: floods kan's console for ms= milliseconds, through the UART ("-- hc=0", one exit
 * per byte) or KAN_HC_CONSOLE_WRITE ("-- hc=1", 4096 bytes per call). kan buffers console
 * output; a guest that prints more than the serial line carries must lose its own bytes or
 * wait on its own time, never stall the other VMs on its CPU.
 */
#include "guest.h"

#define LINE_LENGTH 64

static char block[4096];

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 1000), hc = guest_arg(info, "hc", 0);
	for (unsigned i = 0; i < sizeof(block); i++)
		block[i] = i % LINE_LENGTH == LINE_LENGTH - 1 ? '\n' : (char)('a' + i % 26);
	guest_printf("console-flood: printing as fast as I can for %lu ms through %s\n", ms,
		     hc ? "KAN_HC_CONSOLE_WRITE" : "the UART");
	uint64_t start = kan_time_ns(), end = start + ms * 1000000, bytes = 0, off = 0;
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
			for (unsigned i = 0; i < LINE_LENGTH; i++)
				guest_putc(block[i]);
			bytes += LINE_LENGTH;
		}
	}
	guest_printf("\nconsole-flood done: %lu bytes in %lu us\n", bytes, /* after any part line */
		     (kan_time_ns() - start) / 1000);
	return 0;
}
