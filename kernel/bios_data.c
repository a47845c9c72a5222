#include "kernel/bios_data.h"

#include "guests/include/kan_guest.h"

static void put16(uint8_t *ram, uint32_t at, uint16_t value)
{
	ram[at] = (uint8_t)value;
	ram[at + 1] = (uint8_t)(value >> 8);
}

void bios_data_area_write(uint8_t *ram)
{
	put16(ram, 0x400, KAN_UART_PORT);
	put16(ram, 0x40e, BDA_EBDA_ADDR >> 4);
	put16(ram, 0x410, 1 << 9);
	put16(ram, 0x413, BDA_EBDA_ADDR / 1024);
	ram[BDA_EBDA_ADDR] = 1;
}
