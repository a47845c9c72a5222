/* mb2_load and mb2_write_info (kernel/multiboot2_image.c) on images built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/mb_elf_image.h"

#include "kernel/multiboot2_image.h"

#define MIB	  (1ull << 20)
#define RAM_SIZE  (4 * MIB)
#define UNTOUCHED 0xaa
#define OPTIONAL  MB2_HTAG_OPTIONAL

static _Alignas(8) uint8_t image[0x9000];
static size_t image_size;
static uint8_t *ram;
static struct mb2_image loaded;
static char error[200];
static bool vm_has_acpi;
static size_t header_at, tags_end; /* the header being built, and where its next tag goes */

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
	vm_has_acpi = false;
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

static void put32(size_t at, uint32_t v)
{
	memcpy(image + at, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Starts a header at `at`; tags follow by add_tag; finish() ends it and sets the checksum. */
static void begin_header(size_t at)
{
	header_at = at;
	tags_end = at + 16;
	memset(image + at, 0, 16);
}

static void add_tag(uint16_t type, uint16_t flags, const uint32_t *fields, unsigned n)
{
	uint16_t head[2] = { type, flags };
	memcpy(image + tags_end, head, 4);
	put32(tags_end + 4, 8 + 4 * n);
	if (n)
		memcpy(image + tags_end + 8, fields, 4 * n);
	tags_end += (8 + 4 * n + 7) & ~7u;
}

static void finish_header(uint32_t architecture)
{
	add_tag(MB2_HTAG_END, 0, NULL, 0);
	uint32_t length = (uint32_t)(tags_end - header_at);
	put32(header_at, MB2_HEADER_MAGIC);
	put32(header_at + 4, architecture);
	put32(header_at + 8, length);
	put32(header_at + 12, -(MB2_HEADER_MAGIC + architecture + length));
}

/* An image loaded by its address tag: 0x3000 bytes of file at 1 MiB + 0x10000, the header at
 * 0x40, an entry tag; `extra` adds tags before the end tag. */
#define AOUT_LOAD 0x110000u
static uint32_t address[4];
static uint32_t entry_field[1];
static void address_image(void (*extra)(void))
{
	image_size = 0x3000;
	fill_pattern(0, image_size);
	address[0] = AOUT_LOAD + 0x40;	 /* header_addr */
	address[1] = AOUT_LOAD;		 /* load_addr */
	address[2] = AOUT_LOAD + 0x2000; /* load_end_addr */
	address[3] = AOUT_LOAD + 0x5000; /* bss_end_addr */
	entry_field[0] = AOUT_LOAD + 0x100;
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	if (extra)
		extra();
	finish_header(MB2_ARCH_I386);
}

static int load(void)
{
	error[0] = '\0';
	return mb2_load(image, image_size, ram, RAM_SIZE, vm_has_acpi, &loaded, error,
			sizeof(error));
}

static void assert_refused(const char *reason)
{
	assert_int_equal(load(), -1);
	if (!strstr(error, reason))
		fail_msg("error '%s' does not say '%s'", error, reason);
}

static void test_address_tag_loads_and_clears_bss(void **state)
{
	(void)state;
	address_image(NULL);
	assert_int_equal(load(), 0);
	assert_true(loaded.address_tag);
	assert_int_equal(loaded.entry, AOUT_LOAD + 0x100);
	assert_int_equal(loaded.load_start, AOUT_LOAD);
	assert_int_equal(loaded.load_end, AOUT_LOAD + 0x5000);
	assert_int_equal(loaded.header_offset, 0x40);
	assert_memory_equal(ram + AOUT_LOAD, image, 0x2000);
	for (uint32_t a = AOUT_LOAD + 0x2000; a < AOUT_LOAD + 0x5000; a++)
		assert_int_equal(ram[a], 0);
	assert_int_equal(ram[AOUT_LOAD + 0x5000], UNTOUCHED);
	assert_int_equal(ram[AOUT_LOAD - 1], UNTOUCHED);
}

static void whole_file_fields(void)
{
	/* load_addr -1: from the file's first byte; zero ends: the whole file, no bss. */
	address[1] = UINT32_MAX;
	address[2] = 0;
	address[3] = 0;
}

static void test_address_tag_whole_file(void **state)
{
	(void)state;
	image_size = 0x3000;
	fill_pattern(0, image_size);
	whole_file_fields();
	entry_field[0] = AOUT_LOAD + 0x100;
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.load_start, AOUT_LOAD);
	assert_int_equal(loaded.load_end, AOUT_LOAD + 0x3000);
	assert_memory_equal(ram + AOUT_LOAD, image, 0x3000);
}

static void test_header_found_late_in_first_32k(void **state)
{
	(void)state;
	address_image(NULL);
	memset(image, 0, 0x100);
	image_size = 0x9000;
	begin_header(0x7ff0); /* its fixed fields end at 32 KiB */
	address[0] = AOUT_LOAD + 0x7ff0;
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.header_offset, 0x7ff0);
}

static void test_refuses_no_header(void **state)
{
	(void)state;
	image_size = 0x3000;
	assert_refused("no Multiboot2 header in the first 32 KiB");
	/* A Multiboot 1 header is not one. */
	put32(0x40, MB1_HEADER_MAGIC);
	put32(0x48, -MB1_HEADER_MAGIC);
	assert_refused("no Multiboot2 header in the first 32 KiB");
}

static void test_refuses_header_after_32k(void **state)
{
	(void)state;
	image_size = 0x9000;
	begin_header(0x8000);
	finish_header(MB2_ARCH_I386);
	assert_refused("no Multiboot2 header in the first 32 KiB");
}

static void test_refuses_unaligned_header(void **state)
{
	(void)state;
	image_size = 0x3000;
	begin_header(0x44); /* 4-byte aligned is Multiboot 1's rule, not this one's */
	finish_header(MB2_ARCH_I386);
	assert_refused("no Multiboot2 header in the first 32 KiB");
}

static void test_refuses_bad_checksum(void **state)
{
	(void)state;
	address_image(NULL);
	image[0x4c]++;
	assert_refused("the Multiboot2 header at offset 0x40 has a bad checksum");
}

static void test_refuses_wrong_architecture(void **state)
{
	(void)state;
	image_size = 0x3000;
	begin_header(0x40);
	finish_header(4); /* MIPS, with a checksum that holds */
	assert_refused("the Multiboot2 header is for architecture 4, not i386 (0)");
}

static void test_refuses_bad_lengths(void **state)
{
	(void)state;
	address_image(NULL);
	uint32_t length = get32(image + 0x48);
	put32(0x48, 0x4000); /* longer than the file */
	put32(0x4c, -(MB2_HEADER_MAGIC + 0x4000));
	assert_refused("the Multiboot2 header's length 16384 does not fit the file");
	put32(0x48, length - 8); /* the end tag cut off */
	put32(0x4c, -(MB2_HEADER_MAGIC + length - 8));
	assert_refused("tags have no end tag within its length");
	address_image(NULL);
	put32(0x40 + 16 + 4, 4); /* the address tag's size below its own header */
	assert_refused("header tag 2 at offset 0x50 has a bad size 4");
}

static void unknown_required(void)
{
	add_tag(42, 0, NULL, 0);
}

static void unknown_optional(void)
{
	add_tag(42, OPTIONAL, NULL, 0);
}

static void test_unknown_tags(void **state)
{
	(void)state;
	address_image(unknown_required);
	assert_refused("the header requires tag type 42, which kan does not know");
	address_image(unknown_optional);
	assert_int_equal(load(), 0);
}

static uint16_t request_flags;
static uint32_t requested[3];
static void info_request(void)
{
	add_tag(MB2_HTAG_INFO_REQUEST, request_flags, requested, 3);
}

static void test_information_request(void **state)
{
	(void)state;
	/* What kan gives: asking for it is fine. */
	uint32_t given[][3] = { { MB2_TAG_CMDLINE, MB2_TAG_LOADER_NAME, MB2_TAG_MODULE },
				{ MB2_TAG_BASIC_MEMINFO, MB2_TAG_MMAP, MB2_TAG_END } };
	for (unsigned i = 0; i < 2; i++) {
		memcpy(requested, given[i], sizeof(requested));
		address_image(info_request);
		assert_int_equal(load(), 0);
	}
	uint32_t framebuffer[3] = { MB2_TAG_MMAP, 8, MB2_TAG_CMDLINE };
	memcpy(requested, framebuffer, sizeof(requested));
	address_image(info_request);
	assert_refused("the header requires information kan cannot give: framebuffer (tag 8)");
	requested[1] = 5;
	address_image(info_request);
	assert_refused("kan cannot give: BIOS boot device (tag 5)");
	requested[1] = 99;
	address_image(info_request);
	assert_refused("kan cannot give: unknown (tag 99)");
	/* The RSDP only when the VM has ACPI tables. */
	requested[1] = MB2_TAG_ACPI_NEW;
	address_image(info_request);
	assert_refused("kan cannot give: ACPI 2.0 RSDP (tag 15)");
	requested[1] = MB2_TAG_ACPI_OLD;
	address_image(info_request);
	assert_refused("kan cannot give: ACPI 1.0 RSDP (tag 14)");
	vm_has_acpi = true;
	assert_int_equal(load(), 0);
	/* An optional request asks for what it can do without. */
	vm_has_acpi = false;
	requested[1] = 8;
	request_flags = OPTIONAL;
	address_image(info_request);
	assert_int_equal(load(), 0);
	request_flags = 0;
}

static uint16_t tag_type, tag_flags;
static uint32_t tag_fields[3];
static unsigned tag_count;
static void one_tag(void)
{
	add_tag(tag_type, tag_flags, tag_fields, tag_count);
}

static void with_tag(uint16_t type, uint16_t flags, uint32_t a, uint32_t b, uint32_t c,
		     unsigned count)
{
	tag_type = type, tag_flags = flags, tag_count = count;
	tag_fields[0] = a, tag_fields[1] = b, tag_fields[2] = c;
	address_image(one_tag);
}

static void test_display_and_efi_tags(void **state)
{
	(void)state;
	with_tag(MB2_HTAG_FRAMEBUFFER, 0, 1024, 768, 32, 3);
	assert_refused("the header requires a framebuffer (tag 5): kan's VMs have no display");
	with_tag(MB2_HTAG_FRAMEBUFFER, OPTIONAL, 1024, 768, 32, 3);
	assert_int_equal(load(), 0);
	with_tag(MB2_HTAG_FLAGS, 0, MB2_CONSOLE_REQUIRED | 2, 0, 0, 1);
	assert_refused("the header requires a console (flags tag, bit 0)");
	with_tag(MB2_HTAG_FLAGS, 0, 2, 0, 0, 1); /* EGA text supported, not required */
	assert_int_equal(load(), 0);
	with_tag(MB2_HTAG_FLAGS, OPTIONAL, MB2_CONSOLE_REQUIRED, 0, 0, 1);
	assert_int_equal(load(), 0);
	with_tag(MB2_HTAG_ENTRY_EFI32, 0, AOUT_LOAD, 0, 0, 1);
	assert_refused("the header requires an EFI entry (tag 8)");
	with_tag(MB2_HTAG_ENTRY_EFI64, 0, AOUT_LOAD, 0, 0, 1);
	assert_refused("the header requires an EFI entry (tag 9)");
	with_tag(MB2_HTAG_ENTRY_EFI64, OPTIONAL, AOUT_LOAD, 0, 0, 1);
	assert_int_equal(load(), 0);
	with_tag(MB2_HTAG_FLAGS, 0, 0, 0, 0, 2);
	assert_refused("the flags tag has size 16, not 12");
}

static void test_tags_kan_meets_by_what_it_does(void **state)
{
	(void)state;
	/* Module alignment: kan aligns to 4 KiB anyway; EFI boot services: there are none;
	 * relocatable: kan loads at the address the image was linked for. */
	with_tag(MB2_HTAG_MODULE_ALIGN, 0, 0, 0, 0, 0);
	assert_int_equal(load(), 0);
	with_tag(MB2_HTAG_EFI_BOOT_SERVICES, 0, 0, 0, 0, 0);
	assert_int_equal(load(), 0);
	tag_type = MB2_HTAG_RELOCATABLE, tag_flags = 0, tag_count = 0;
	uint32_t reloc[4] = { 0x200000, 0x800000, 0x1000, 1 };
	address_image(NULL);
	begin_header(0x40);
	add_tag(MB2_HTAG_RELOCATABLE, 0, reloc, 4);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.load_start, AOUT_LOAD);
}

static void test_refuses_address_tag_without_entry(void **state)
{
	(void)state;
	address_image(NULL);
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	finish_header(MB2_ARCH_I386);
	assert_refused("the address tag needs an entry address tag (type 3)");
}

static void test_refuses_bad_places(void **state)
{
	(void)state;
	address_image(NULL);
	address[0] = 0x4000040, address[1] = 0x4000000, address[2] = 0x4002000;
	address[3] = 0x4005000, entry_field[0] = 0x4000100;
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_refused("the image at 0x4000000-0x4005000 is outside the VM's RAM (4 MiB)");

	address[0] = 0x8040, address[1] = 0x8000, address[2] = 0xa000;
	address[3] = 0xa000, entry_field[0] = 0x8100;
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_refused("overlaps the information structure kan puts at 0x1000-0x9000");

	address_image(NULL);
	entry_field[0] = AOUT_LOAD + 0x2000; /* in the bss: nothing loaded there */
	begin_header(0x40);
	add_tag(MB2_HTAG_ADDRESS, 0, address, 4);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_refused("entry point 0x112000 is outside the image");
}

/* An ELF image with a Multiboot2 header (no address tag) in its first segment's data. */
static void elf32_image(uint32_t paddr, uint32_t entry)
{
	image_size = mb_test_elf32(image, paddr, paddr, entry, 0x3000);
	fill_pattern(0x1000, 0x2000);
	begin_header(0x1000);
	finish_header(MB2_ARCH_I386);
}

static void elf64_image(uint64_t paddr, uint64_t entry)
{
	image_size = mb_test_elf64(image, paddr, entry, 0x2000);
	fill_pattern(0x1000, 0x2000);
	begin_header(0x1000);
	finish_header(MB2_ARCH_I386);
}

static void test_elf32_by_program_headers(void **state)
{
	(void)state;
	elf32_image(0x200000, 0x200010);
	if (load())
		fail_msg("%s", error);
	assert_false(loaded.address_tag);
	assert_int_equal(loaded.entry, 0x200010);
	assert_int_equal(loaded.load_start, 0x200000);
	assert_int_equal(loaded.load_end, 0x203000);
	assert_memory_equal(ram + 0x200000, image + 0x1000, 0x1000);
	assert_int_equal(ram[0x202fff], 0);
	elf32_image(0x200000, 0x300000);
	assert_refused("as ELF: entry point 0x300000 is outside the loaded segments");
	elf32_image(0x3ff000, 0x3ff000);
	assert_refused("segment 0 at 0x3ff000-0x402000 is outside the VM's RAM (4 MiB)");
}

static void test_elf64_by_program_headers(void **state)
{
	(void)state;
	elf64_image(0x300000, 0x300020);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, 0x300020);
	assert_int_equal(loaded.load_end, 0x302000);
	elf64_image(0x2000, 0x2000);
	assert_refused("segment 0 at 0x2000-0x4000 overlaps the information structure");
}

/* The entry address tag wins over the ELF's own entry, and must lie in the image. */
static void test_elf_with_entry_tag(void **state)
{
	(void)state;
	elf32_image(0x200000, 0xdead0000); /* an ELF entry in no segment: not used */
	entry_field[0] = 0x200040;
	begin_header(0x1000);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, 0x200040);
	entry_field[0] = 0x203000;
	begin_header(0x1000);
	add_tag(MB2_HTAG_ENTRY, 0, entry_field, 1);
	finish_header(MB2_ARCH_I386);
	assert_refused("entry point 0x203000 (the entry address tag) is outside the image "
		       "(0x200000-0x203000)");
}

/* The boot information's tags in order: the next one after `*at`, checked for alignment. */
static const uint8_t *next_tag(const uint8_t **at, uint32_t type)
{
	const uint8_t *t = *at;
	assert_int_equal((uintptr_t)(t - ram) % 8, 0);
	assert_int_equal(get32(t), type);
	*at = t + ((get32(t + 4) + 7) & ~7u);
	return t;
}

static const uint8_t data_a[5] = "abcd", data_b[0x1801] = { 1, 2, 3 };
static const struct mb1_module mods[2] = { { data_a, sizeof(data_a), "first" },
					   { data_b, sizeof(data_b), "second" } };

static const uint8_t *write_info(const void *rsdp)
{
	address_image(NULL);
	assert_int_equal(load(), 0);
	strcpy((char *)ram + MB2_CMDLINE_ADDR, "vm expect_mem=4M");
	assert_int_equal(
		mb2_write_info(ram, RAM_SIZE, &loaded, mods, 2, rsdp, error, sizeof(error)), 0);
	return ram + MB2_INFO_ADDR;
}

static void test_info_tags(void **state)
{
	(void)state;
	const uint8_t *info = write_info(NULL);
	const uint8_t *at = info + 8;
	assert_int_equal(get32(info + 4), 0); /* reserved */

	const uint8_t *t = next_tag(&at, MB2_TAG_CMDLINE);
	assert_int_equal(t + 8 - ram, MB2_CMDLINE_ADDR);
	assert_int_equal(get32(t + 4), 8 + sizeof("vm expect_mem=4M"));
	assert_string_equal((const char *)t + 8, "vm expect_mem=4M");

	t = next_tag(&at, MB2_TAG_LOADER_NAME);
	assert_int_equal(get32(t + 4), 12);
	assert_string_equal((const char *)t + 8, "kan");

	/* Modules after the image's bss, each on a 4 KiB boundary, with their strings. */
	t = next_tag(&at, MB2_TAG_MODULE);
	assert_int_equal(get32(t + 4), 16 + sizeof("first"));
	assert_int_equal(get32(t + 8), AOUT_LOAD + 0x5000);
	assert_int_equal(get32(t + 12), AOUT_LOAD + 0x5005);
	assert_string_equal((const char *)t + 16, "first");
	assert_memory_equal(ram + AOUT_LOAD + 0x5000, data_a, 5);
	t = next_tag(&at, MB2_TAG_MODULE);
	assert_int_equal(get32(t + 8), AOUT_LOAD + 0x6000);
	assert_int_equal(get32(t + 12), AOUT_LOAD + 0x7801);
	assert_string_equal((const char *)t + 16, "second");
	assert_memory_equal(ram + AOUT_LOAD + 0x6000, data_b, sizeof(data_b));

	t = next_tag(&at, MB2_TAG_BASIC_MEMINFO);
	assert_int_equal(get32(t + 4), 16);
	assert_int_equal(get32(t + 8), 639);
	assert_int_equal(get32(t + 12), 3 * 1024);

	t = next_tag(&at, MB2_TAG_MMAP);
	assert_int_equal(get32(t + 4), 16 + 3 * 24);
	assert_int_equal(get32(t + 8), 24); /* entry_size */
	assert_int_equal(get32(t + 12), 0); /* entry_version */
	static const uint64_t want[3][3] = { { 0, 0x9fc00, 1 },
					     { 0x9fc00, 0x60400, 2 },
					     { 0x100000, RAM_SIZE - 0x100000, 1 } };
	for (int n = 0; n < 3; n++) {
		const uint8_t *e = t + 16 + n * 24;
		uint64_t base, length;
		memcpy(&base, e, 8), memcpy(&length, e + 8, 8);
		assert_int_equal(base, want[n][0]);
		assert_int_equal(length, want[n][1]);
		assert_int_equal(get32(e + 16), want[n][2]);
		assert_int_equal(get32(e + 20), 0);
	}

	/* No ACPI tables, no RSDP tag: the end tag is next. */
	t = next_tag(&at, MB2_TAG_END);
	assert_int_equal(get32(t + 4), 8);
	assert_int_equal(get32(info), at - info); /* total_size */
	assert_true(at <= ram + MB2_INFO_END);
}

static const uint8_t *acpi_tag(const uint8_t *info)
{
	const uint8_t *at = info + 8;
	while (get32(at) != MB2_TAG_ACPI_OLD && get32(at) != MB2_TAG_ACPI_NEW) {
		assert_int_not_equal(get32(at), MB2_TAG_END);
		at += (get32(at + 4) + 7) & ~7u;
	}
	return at;
}

static void test_info_acpi_rsdp(void **state)
{
	(void)state;
	uint8_t rsdp[36];
	for (unsigned i = 0; i < sizeof(rsdp); i++)
		rsdp[i] = (uint8_t)(i + 1);
	rsdp[15] = 0; /* ACPI 1.0: 20 bytes */
	const uint8_t *t = acpi_tag(write_info(rsdp));
	assert_int_equal(get32(t), MB2_TAG_ACPI_OLD);
	assert_int_equal(get32(t + 4), 8 + 20);
	assert_memory_equal(t + 8, rsdp, 20);
	const uint8_t *end = t + 8 + 24;
	assert_int_equal(get32(end), MB2_TAG_END);

	rsdp[15] = 2; /* ACPI 2.0: 36 bytes, with the XSDT's address */
	t = acpi_tag(write_info(rsdp));
	assert_int_equal(get32(t), MB2_TAG_ACPI_NEW);
	assert_int_equal(get32(t + 4), 8 + 36);
	assert_memory_equal(t + 8, rsdp, 36);
}

static void test_info_refusals(void **state)
{
	(void)state;
	address_image(NULL);
	assert_int_equal(load(), 0);
	static uint8_t big[16];
	const struct mb1_module huge = { big, RAM_SIZE, "huge" };
	assert_int_equal(
		mb2_write_info(ram, RAM_SIZE, &loaded, &huge, 1, NULL, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "module 'huge' (4096 KiB) does not fit after the image"));
	struct mb1_module many[MB1_MODULES_MAX + 1];
	for (unsigned i = 0; i <= MB1_MODULES_MAX; i++)
		many[i] = mods[0];
	assert_int_equal(mb2_write_info(ram, RAM_SIZE, &loaded, many, MB1_MODULES_MAX + 1, NULL,
					error, sizeof(error)),
			 -1);
	assert_non_null(strstr(error, "9 modules; kan passes at most 8"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_address_tag_loads_and_clears_bss),
		T(test_address_tag_whole_file),
		T(test_header_found_late_in_first_32k),
		T(test_refuses_no_header),
		T(test_refuses_header_after_32k),
		T(test_refuses_unaligned_header),
		T(test_refuses_bad_checksum),
		T(test_refuses_wrong_architecture),
		T(test_refuses_bad_lengths),
		T(test_unknown_tags),
		T(test_information_request),
		T(test_display_and_efi_tags),
		T(test_tags_kan_meets_by_what_it_does),
		T(test_refuses_address_tag_without_entry),
		T(test_refuses_bad_places),
		T(test_elf32_by_program_headers),
		T(test_elf64_by_program_headers),
		T(test_elf_with_entry_tag),
		T(test_info_tags),
		T(test_info_acpi_rsdp),
		T(test_info_refusals),
	};
	return cmocka_run_group_tests_name("multiboot2_image", tests, NULL, NULL);
}
