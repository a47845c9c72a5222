#include "drivers/pit.h"
#include "arch/x86_64/cpu.h"

#define PIT_CHANNEL2 0x42
#define PIT_COMMAND  0x43
#define PORT_B	     0x61 /* bit 0: channel 2 gate, bit 1: speaker */

static uint8_t port_b_before;

void pit_channel2_start(void)
{
	port_b_before = inb(PORT_B);
	outb(PORT_B, (port_b_before & ~0x02) | 0x01);
	outb(PIT_COMMAND, 0xb0); /* channel 2, lobyte/hibyte, mode 0: counts down, then wraps */
	outb(PIT_CHANNEL2, 0xff);
	outb(PIT_CHANNEL2, 0xff);
}

uint32_t pit_channel2_read(void)
{
	outb(PIT_COMMAND, 0x80); /* latch channel 2's count */
	uint32_t lo = inb(PIT_CHANNEL2);
	return lo | (uint32_t)inb(PIT_CHANNEL2) << 8;
}

void pit_channel2_stop(void)
{
	outb(PORT_B, port_b_before);
}
