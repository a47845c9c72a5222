#include "drivers/pit.h"
#include "arch/x86_64/cpu.h"

#define PIT_HZ	     1193182u
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND  0x43
#define PORT_B	     0x61 /* bit 0: channel 2 gate, bit 5: channel 2 output */
#define CALIBRATE_MS 10

uint64_t pit_measure_tsc_hz(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t b = inb(PORT_B);
	outb(PORT_B, (b & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_COMMAND, 0xb0);	  /* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CHANNEL2, count & 0xff);
	outb(PIT_CHANNEL2, count >> 8);
	uint64_t start = rdtsc();
	/* Mode 0 raises the output when the count reaches zero. */
	for (uint64_t spins = 0; !(inb(PORT_B) & 0x20); spins++)
		if (spins > 100000000ull)
			return 0;
	uint64_t ticks = rdtsc() - start;
	outb(PORT_B, b);
	return ticks * (1000 / CALIBRATE_MS);
}
