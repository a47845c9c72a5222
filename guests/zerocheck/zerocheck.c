/*
 * Proves a VM never sees another's data: it checks that all of its RAM outside its image,
 * kan's start page and its stack reads zero. With "-- fill=1" it then writes a pattern over
 * that RAM and idles, so that a VM created after it is destroyed can check the same memory.
 */
#include "guest.h"

#define CHECK_START (2ull << 20) /* past the image at 1 MiB */
#define STACK_SPACE (64ull << 10)

int64_t guest_main(const struct kan_start_info *info)
{
	volatile uint64_t *words = (volatile uint64_t *)CHECK_START;
	uint64_t count = (info->ram_size - STACK_SPACE - CHECK_START) / 8, nonzero = 0;
	for (uint64_t i = 0; i < count; i++)
		if (words[i])
			nonzero++;
	guest_printf("zerocheck: %lu of %lu words were not zero\n", nonzero, count);
	if (!guest_arg(info, "fill", 0))
		return nonzero ? 1 : 0;
	for (uint64_t i = 0; i < count; i++)
		words[i] = 0xa5a5a5a5a5a5a5a5ull;
	guest_printf("zerocheck: filled my RAM with 0xa5; idling until destroyed\n");
	for (;;)
		__asm__ volatile("sti; hlt");
}
