/*
 * The compute benchmark as a bare multiboot2 kernel: kan's own boot code (boot/entry.asm)
 * brings it to long mode and calls this kernel_main instead of kan's. Same Bochs, same
 * work, no hypervisor: the reference for the compute figure.
 */
#include <stdint.h>

#include "compute.h"

static inline void out8(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t in8(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(in8(0x3fd) & 0x20)) /* until the transmitter has room */
		;
	out8(0x3f8, (uint8_t)c);
}

static void put(const char *s)
{
	for (; *s; s++)
		putc_serial(*s);
}

static void put_number(uint64_t v)
{
	char digits[20];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_serial(digits[--n]);
}

void kernel_main(uint32_t magic, uint64_t info);

void kernel_main(uint32_t magic, uint64_t info)
{
	(void)magic, (void)info;
	out8(0x3fb, 0x03); /* 8 data bits: the Bochs BIOS leaves 5 */
	uint64_t t0 = compute_rdtsc();
	uint64_t seed = compute_work(1, COMPUTE_ROUNDS);
	uint64_t ticks = compute_rdtsc() - t0;
	put("bench: bare compute ");
	put_number(COMPUTE_ROUNDS);
	put(" rounds in ");
	put_number(ticks);
	put(" ticks (");
	put_number(seed & 0xff);
	put(")\r\n");
	while (!(in8(0x3fd) & 0x40)) /* the last byte is out */
		;
	for (const char *s = "Shutdown"; *s; s++)
		out8(0x8900, (uint8_t)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}
