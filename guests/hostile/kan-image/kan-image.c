/*
 * Hostile: looks for kan. kan's own image sits at host-physical 1 MiB, where this guest's
 * image sits in guest-physical space; if EPT mapped the guest straight through, the bytes at
 * 0x100000 would be kan's multiboot2 header. It reads 0x100000, expects its own entry code,
 * then scans all its RAM for a multiboot2 header and for non-zero bytes where the ABI
 * promises zeros (host data left behind). Ends with status 0 if it found nothing of kan's.
 */
#include "guest.h"

/* This guest is far smaller than IMAGE_MAX_SIZE: the scan for zeros starts above it. */
#define IMAGE_ADDR     0x100000ull
#define IMAGE_MAX_SIZE 0x100000ull
#define STACK_SPACE    0x10000ull

/* guests/lib/start64.asm: xor ebp, ebp; and rsp, -16; mov r12, rdi. */
static const uint8_t my_entry_code[] = { 0x31, 0xed, 0x48, 0x83, 0xe4, 0xf0, 0x49, 0x89, 0xfc };

/* Kept inverted so the magic itself never appears in this guest's image. */
static volatile uint32_t multiboot2_magic_inverted = ~0xe85250d6u;

/* A multiboot2 header: magic, architecture, length, checksum summing to 0 (spec 3.1.1). */
static int is_multiboot2_header(const volatile uint32_t *p, uint32_t magic)
{
	return p[0] == magic && p[1] == 0 && p[2] >= 16 && p[2] < 0x10000 &&
	       (uint32_t)(p[0] + p[1] + p[2] + p[3]) == 0;
}

static uint64_t count_nonzero(uint64_t from, uint64_t to, uint64_t *first)
{
	uint64_t n = 0;
	for (uint64_t a = from; a < to; a += 8)
		if (*(volatile uint64_t *)a && !n++)
			*first = a;
	return n;
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ram = info->ram_size;
	uint32_t magic = ~multiboot2_magic_inverted;
	const volatile uint8_t *image = (const volatile uint8_t *)IMAGE_ADDR;
	guest_printf("kan-image: kan lives at host-physical 0x100000; reading guest-physical "
		     "0x100000:");
	for (int i = 0; i < 16; i++)
		guest_printf(" %x", image[i]);
	guest_printf("\n");
	int mine = 1;
	for (unsigned i = 0; i < sizeof(my_entry_code); i++)
		mine &= image[i] == my_entry_code[i];
	int kan_magic = *(const volatile uint32_t *)IMAGE_ADDR == magic;
	guest_printf("kan-image: 0x100000 holds %s; kan's multiboot2 magic 0x%x there: %s\n",
		     mine ? "my own entry code" : "NOT MY CODE", magic, kan_magic ? "YES" : "no");

	uint64_t headers = 0, first_header = 0;
	for (uint64_t a = 0; a + 16 <= ram; a += 8) {
		if (is_multiboot2_header((const volatile uint32_t *)a, magic) && !headers++)
			first_header = a;
	}
	guest_printf("kan-image: multiboot2 headers anywhere in my %lu KiB of RAM: %lu", ram >> 10,
		     headers);
	if (headers)
		guest_printf(" (first at 0x%lx)", first_header);
	guest_printf("\n");

	/* kan_guest.h: everything but the image and kan's start info, GDT and page tables is 0. */
	uint64_t first_low = 0, first_high = 0;
	uint64_t low = count_nonzero(0, KAN_START_INFO_ADDR, &first_low) +
		       count_nonzero(KAN_GUEST_FREE_ADDR, IMAGE_ADDR, &first_low);
	uint64_t high = count_nonzero(IMAGE_ADDR + IMAGE_MAX_SIZE, ram - STACK_SPACE, &first_high);
	guest_printf("kan-image: non-zero qwords where the ABI promises zeros: %lu below my image, "
		     "%lu above it\n",
		     low, high);
	if (low)
		guest_printf("kan-image: FIRST NON-ZERO qword below my image at 0x%lx: 0x%lx\n",
			     first_low, *(volatile uint64_t *)first_low);
	if (high)
		guest_printf("kan-image: FIRST NON-ZERO qword above my image at 0x%lx: 0x%lx\n",
			     first_high, *(volatile uint64_t *)first_high);
	int contained = mine && !kan_magic && !headers && !low && !high;
	guest_printf("kan-image done: %s\n",
		     contained ? "nothing of kan's in my RAM" : "FOUND SOMETHING THAT IS NOT MINE");
	return contained ? 0 : 1;
}
