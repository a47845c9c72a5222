/* mb1_load, mb1_write_info and mb1_cmdline (kernel/multiboot1_image.c) on images built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/mb_elf_image.h"

#include "kernel/multiboot1_image.h"

#define MIB	  (1ull << 20)
#define RAM_SIZE  (4 * MIB)
#define UNTOUCHED 0xaa

static _Alignas(8) uint8_t image[0x6000];
static size_t image_size;
static uint8_t *ram;
static struct mb1_image loaded;
static char error[200];

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	if (!ram)
		return -1;
	memset(ram, UNTOUCHED, RAM_SIZE);
	memset(image, 0, sizeof(image));
	memset(&loaded, 0, sizeof(loaded));
	error[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void fill_pattern(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		image[i] = (uint8_t)(i * 7 + 1);
}

/* A header at `at` with `flags` and a good checksum; the a.out fields after it. */
static uint32_t *header(size_t at, uint32_t flags)
{
	uint32_t *h = (uint32_t *)(image + at);
	h[0] = MB1_HEADER_MAGIC;
	h[1] = flags;
	h[2] = -(MB1_HEADER_MAGIC + flags);
	return h;
}

/* An a.out kludge image: 0x3000 bytes of file loaded at 1 MiB + 0x10000, the header at 0x40. */
#define AOUT_LOAD 0x110000u
static uint32_t *aout_image(void)
{
	image_size = 0x3000;
	fill_pattern(0, image_size);
	uint32_t *h =
		header(0x40, MB1_FLAG_AOUT_KLUDGE | MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO);
	h[3] = AOUT_LOAD + 0x40;   /* header_addr */
	h[4] = AOUT_LOAD;	   /* load_addr */
	h[5] = AOUT_LOAD + 0x2000; /* load_end_addr */
	h[6] = AOUT_LOAD + 0x5000; /* bss_end_addr */
	h[7] = AOUT_LOAD + 0x100;  /* entry_addr */
	return h;
}

static int load(void)
{
	error[0] = '\0';
	return mb1_load(image, image_size, ram, RAM_SIZE, &loaded, error, sizeof(error));
}

static void assert_refused(const char *reason)
{
	assert_int_equal(load(), -1);
	if (!strstr(error, reason))
		fail_msg("error '%s' does not say '%s'", error, reason);
}

static void rechecksum(uint32_t *h)
{
	h[2] = -(h[0] + h[1]);
}

static void test_aout_kludge_loads_and_clears_bss(void **state)
{
	(void)state;
	aout_image();
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, AOUT_LOAD + 0x100);
	assert_int_equal(loaded.load_start, AOUT_LOAD);
	assert_int_equal(loaded.load_end, AOUT_LOAD + 0x5000);
	assert_int_equal(loaded.header_offset, 0x40);
	/* load_addr is the file's first byte (header_addr - load_addr = header offset). */
	assert_memory_equal(ram + AOUT_LOAD + 0x80, image + 0x80, 0x2000 - 0x80);
	for (size_t i = 0x2000; i < 0x5000; i++)
		assert_int_equal(ram[AOUT_LOAD + i], 0);
	assert_int_equal(ram[AOUT_LOAD + 0x5000], UNTOUCHED);
	assert_int_equal(ram[AOUT_LOAD - 1], UNTOUCHED);
}

static void test_aout_zero_end_fields_mean_whole_file(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[5] = 0, h[6] = 0;
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.load_end, AOUT_LOAD + image_size);
	assert_memory_equal(ram + AOUT_LOAD + 0x100, image + 0x100, image_size - 0x100);
}

static void test_header_found_late_in_first_8k(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	memset(h, 0, 32);
	image_size = 0x4000;
	h = header(0x1ff4, MB1_FLAG_AOUT_KLUDGE); /* its address fields lie past 8 KiB */
	h[3] = AOUT_LOAD + 0x1ff4, h[4] = AOUT_LOAD, h[5] = 0, h[6] = 0, h[7] = AOUT_LOAD;
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.header_offset, 0x1ff4);
}

static void test_refuses_no_header(void **state)
{
	(void)state;
	aout_image();
	memset(image + 0x40, 0, 32);
	assert_refused("no Multiboot header in the first 8 KiB");
}

static void test_refuses_header_after_8k(void **state)
{
	(void)state;
	aout_image();
	memset(image + 0x40, 0, 32);
	image_size = 0x6000;
	header(0x2000, MB1_FLAG_AOUT_KLUDGE);
	assert_refused("no Multiboot header in the first 8 KiB");
}

static void test_refuses_unaligned_header(void **state)
{
	(void)state;
	aout_image();
	memset(image + 0x40, 0, 32);
	const uint32_t fields[3] = { MB1_HEADER_MAGIC, 0, -MB1_HEADER_MAGIC };
	memcpy(image + 0x42, fields, sizeof(fields)); /* only 4-byte aligned headers count */
	assert_refused("no Multiboot header");
}

static void test_refuses_bad_checksum(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[2] += 1;
	assert_refused("the Multiboot header at offset 0x40 has a bad checksum");
}

static void test_refuses_video_mode(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[1] |= MB1_FLAG_VIDEO_MODE;
	rechecksum(h);
	assert_refused("requires a video mode (flags bit 2)");
}

static void test_refuses_unknown_required_flag(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[1] |= 0x100;
	rechecksum(h);
	assert_refused("features kan does not know (flags 0x100)");
}

static void test_ignores_unknown_optional_flag(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[1] |= 0x20000;
	rechecksum(h);
	assert_int_equal(load(), 0);
}

static void test_refuses_load_beyond_ram(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[6] = RAM_SIZE + 0x1000;
	assert_refused("outside the VM's RAM (4 MiB)");
}

static void test_refuses_load_over_info(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[3] = 0x8040, h[4] = 0x8000, h[5] = 0xa000, h[6] = 0xa000, h[7] = 0x8100;
	assert_refused("overlaps the information structure kan puts at 0x1000-0x9000");
}

static void test_refuses_load_below_1m(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[3] = 0x10040, h[4] = 0x10000, h[5] = 0x12000, h[6] = 0x12000, h[7] = 0x10100;
	assert_refused("below 1 MiB");
}

static void test_refuses_entry_outside(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[7] = AOUT_LOAD + 0x2000; /* in the bss, past what the file holds */
	assert_refused("entry point 0x112000 is outside the image");
	h[7] = AOUT_LOAD - 1;
	assert_refused("entry point 0x10ffff is outside the image");
}

static void test_refuses_aout_fields_beyond_file(void **state)
{
	(void)state;
	uint32_t *h = aout_image();
	h[5] = AOUT_LOAD + 0x3001;
	assert_refused("load_end_addr 0x113001 lies beyond the file's end");
	h = aout_image();
	h[3] = AOUT_LOAD + 0x1000; /* would put the load 0xfc0 bytes before the file */
	assert_refused("before the file's start");
	h = aout_image();
	h[6] = AOUT_LOAD + 0x1000;
	assert_refused("bss_end_addr 0x111000 is below load_end_addr");
}

/* An ELF image with a Multiboot header (no address fields) in its first segment's data. */
static void elf32_image(uint32_t paddr, uint32_t entry)
{
	image_size = mb_test_elf32(image, paddr, 0xc0000000u + paddr, entry, 0x3000);
	fill_pattern(0x1000, 0x2000);
	header(0x1000, MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO);
}

static void elf64_image(uint64_t paddr, uint64_t entry)
{
	image_size = mb_test_elf64(image, paddr, entry, 0x2000);
	fill_pattern(0x1000, 0x2000);
	header(0x1000, 0);
}

static void test_elf32_by_physical_address(void **state)
{
	(void)state;
	elf32_image(0x200000, 0x200010);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, 0x200010);
	assert_int_equal(loaded.load_start, 0x200000);
	assert_int_equal(loaded.load_end, 0x203000);
	assert_memory_equal(ram + 0x200000, image + 0x1000, 0x1000);
	for (size_t i = 0x1000; i < 0x3000; i++)
		assert_int_equal(ram[0x200000 + i], 0);
}

/* As GRUB does: a virtual entry inside a segment's virtual span (a higher-half kernel) is
 * entered where that byte was loaded. */
static void test_elf32_virtual_entry_becomes_physical(void **state)
{
	(void)state;
	elf32_image(0x200000, 0xc0200010);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, 0x200010);
	elf32_image(0x200000, 0xc0203000); /* past the segment's memory size */
	assert_refused("as ELF: entry point 0xc0203000 is outside the loaded segments");
}

static void test_elf64_by_physical_address(void **state)
{
	(void)state;
	elf64_image(0x300000, 0x300020);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, 0x300020);
	assert_int_equal(loaded.load_end, 0x302000);
	assert_memory_equal(ram + 0x300000, image + 0x1000, 0x1000);
}

static void test_elf_refusals(void **state)
{
	(void)state;
	elf32_image(0x200000, 0x204000);
	assert_refused("entry point 0x204000 is outside the loaded segments");
	elf32_image(RAM_SIZE - 0x1000, RAM_SIZE - 0x1000);
	assert_refused("segment 0 at 0x3ff000-0x402000 is outside the VM's RAM");
	elf64_image(0x2000, 0x2000);
	assert_refused("segment 0 at 0x2000-0x4000 overlaps the information structure");
	elf32_image(0x200000, 0x200000);
	image[EI_CLASS] = 7;
	assert_refused("as ELF (the header has no address fields): unknown ELF class 7");
}

static const struct mb1_info *info(void)
{
	return (const struct mb1_info *)(ram + MB1_INFO_ADDR);
}

static void test_info_fields(void **state)
{
	(void)state;
	aout_image();
	assert_int_equal(load(), 0);
	static const uint8_t data_a[5] = "abcd", data_b[0x1801] = { 1, 2, 3 };
	const struct mb1_module mods[2] = { { data_a, sizeof(data_a), "first" },
					    { data_b, sizeof(data_b), "second" } };
	assert_int_equal(mb1_write_info(ram, RAM_SIZE, &loaded, mods, 2, error, sizeof(error)), 0);
	const struct mb1_info *i = info();
	assert_int_equal(i->flags, 0x24d); /* memory, cmdline, mods, mmap, loader name */
	assert_int_equal(i->mem_lower, 639);
	assert_int_equal(i->mem_upper, 3 * 1024);
	assert_int_equal(i->cmdline, MB1_CMDLINE_ADDR);
	assert_string_equal((char *)ram + i->boot_loader_name, "kan");
	assert_int_equal(i->mods_count, 2);
	const struct mb1_module_entry *m = (const void *)(ram + i->mods_addr);
	/* After the image's bss, each on a 4 KiB boundary (header flag bit 0). */
	assert_int_equal(m[0].mod_start, AOUT_LOAD + 0x5000);
	assert_int_equal(m[0].mod_end, AOUT_LOAD + 0x5005);
	assert_int_equal(m[1].mod_start, AOUT_LOAD + 0x6000);
	assert_int_equal(m[1].mod_end, AOUT_LOAD + 0x7801);
	assert_memory_equal(ram + m[0].mod_start, data_a, 5);
	assert_memory_equal(ram + m[1].mod_start, data_b, sizeof(data_b));
	assert_string_equal((char *)ram + m[0].string, "first");
	assert_string_equal((char *)ram + m[1].string, "second");
	assert_int_equal(i->mmap_length, 3 * 24);
	const uint8_t *e = ram + i->mmap_addr;
	static const uint64_t want[3][3] = { { 0, 0x9fc00, 1 },
					     { 0x9fc00, 0x60400, 2 },
					     { 0x100000, RAM_SIZE - 0x100000, 1 } };
	for (int n = 0; n < 3; n++, e += 24) {
		uint32_t size, type;
		uint64_t base, length;
		memcpy(&size, e, 4), memcpy(&base, e + 4, 8), memcpy(&length, e + 12, 8),
			memcpy(&type, e + 20, 4);
		assert_int_equal(size, 20);
		assert_int_equal(base, want[n][0]);
		assert_int_equal(length, want[n][1]);
		assert_int_equal(type, want[n][2]);
	}
}

static void test_info_refusals(void **state)
{
	(void)state;
	aout_image();
	assert_int_equal(load(), 0);
	static uint8_t big[16];
	const struct mb1_module mod = { big, RAM_SIZE, "huge" };
	assert_int_equal(mb1_write_info(ram, RAM_SIZE, &loaded, &mod, 1, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "module 'huge' (4096 KiB) does not fit after the image"));
}

static void test_cmdline(void **state)
{
	(void)state;
	char out[64];
	mb1_cmdline("/boot/mb1.elf name=a kind=multiboot -- expect_mem=16M", "expect_mem=16M", "a",
		    out, sizeof(out));
	assert_string_equal(out, "/boot/mb1.elf expect_mem=16M");
	mb1_cmdline("name=a kind=multiboot", "", "a", out, sizeof(out));
	assert_string_equal(out, "a");
	mb1_cmdline("-- x", "x", "vm", out, sizeof(out));
	assert_string_equal(out, "vm x");
	mb1_cmdline("/p a=b -- 0123456789", "0123456789", "vm", out, 8);
	assert_string_equal(out, "/p 0123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_aout_kludge_loads_and_clears_bss),
		T(test_aout_zero_end_fields_mean_whole_file),
		T(test_header_found_late_in_first_8k),
		T(test_refuses_no_header),
		T(test_refuses_header_after_8k),
		T(test_refuses_unaligned_header),
		T(test_refuses_bad_checksum),
		T(test_refuses_video_mode),
		T(test_refuses_unknown_required_flag),
		T(test_ignores_unknown_optional_flag),
		T(test_refuses_load_beyond_ram),
		T(test_refuses_load_over_info),
		T(test_refuses_load_below_1m),
		T(test_refuses_entry_outside),
		T(test_refuses_aout_fields_beyond_file),
		T(test_elf32_by_physical_address),
		T(test_elf32_virtual_entry_becomes_physical),
		T(test_elf64_by_physical_address),
		T(test_elf_refusals),
		T(test_info_fields),
		T(test_info_refusals),
		T(test_cmdline),
	};
	return cmocka_run_group_tests_name("multiboot1", tests, NULL, NULL);
}
