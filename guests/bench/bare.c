/*
 * The compute benchmark as a bare multiboot2 kernel: kan's own boot code (boot/entry.asm)
 * brings it to long mode and calls this kernel_main instead of kan's. Same Bochs, same
 * work, no hypervisor: the reference for the compute figure.
 */
#include <stdint.h>

#include "compute.h"
#include "guest.h" /* only its inline port I/O: nothing of the guest library is linked */

static void putc_serial(char c)
{
	while (!(guest_in(0x3fd, 1) & 0x20)) /* until the transmitter has room */
		;
	guest_out(0x3f8, 1, (uint8_t)c);
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
	guest_out(0x3fb, 1, 0x03); /* 8 data bits: the Bochs BIOS leaves 5 */
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
	while (!(guest_in(0x3fd, 1) & 0x40)) /* the last byte is out */
		;
	for (const char *s = "Shutdown"; *s; s++)
		guest_out(0x8900, 1, (uint8_t)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}
