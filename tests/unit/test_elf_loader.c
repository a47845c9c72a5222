/* elf_load (kernel/elf_loader.c) on ELF images built in memory, good and hostile. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/elf_loader.h"
#include "kan_guest.h"

#define MIB	  (1ull << 20)
#define RAM_SIZE  (4 * MIB)
#define UNTOUCHED 0xaa /* what RAM holds before loading */

/* An image under construction: headers first, segment data from DATA_OFFSET on. */
#define DATA_OFFSET 0x200
static _Alignas(8) uint8_t image[0x4000];
static size_t image_size;
static uint8_t *ram;
static struct elf_image loaded;
static char error[160];

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	if (!ram)
		return -1;
	memset(ram, UNTOUCHED, RAM_SIZE);
	memset(image, 0, sizeof(image));
	memset(&loaded, 0, sizeof(loaded));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static Elf64_Ehdr *elf64_begin(uint64_t entry)
{
	memset(image, 0, sizeof(image));
	Elf64_Ehdr *h = (Elf64_Ehdr *)image;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_phoff = sizeof(Elf64_Ehdr);
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	image_size = DATA_OFFSET;
	return h;
}

/* Adds a program header; its file data (filesz bytes of a counting pattern) goes at the end. */
static Elf64_Phdr *elf64_segment(uint32_t type, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	Elf64_Ehdr *h = (Elf64_Ehdr *)image;
	Elf64_Phdr *p = (Elf64_Phdr *)(image + h->e_phoff) + h->e_phnum++;
	assert_true((uint8_t *)(p + 1) <= image + DATA_OFFSET);
	*p = (Elf64_Phdr){ .p_type = type,
			   .p_flags = PF_R | PF_X,
			   .p_offset = image_size,
			   .p_vaddr = paddr,
			   .p_paddr = paddr,
			   .p_filesz = filesz,
			   .p_memsz = memsz,
			   .p_align = 0x1000 };
	assert_true(image_size + filesz <= sizeof(image));
	for (uint64_t i = 0; i < filesz; i++)
		image[image_size + i] = (uint8_t)(i + 1);
	image_size += filesz;
	return p;
}

static Elf32_Ehdr *elf32_begin(uint32_t entry)
{
	memset(image, 0, sizeof(image));
	Elf32_Ehdr *h = (Elf32_Ehdr *)image;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS32;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_386;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_phoff = sizeof(Elf32_Ehdr);
	h->e_ehsize = sizeof(Elf32_Ehdr);
	h->e_phentsize = sizeof(Elf32_Phdr);
	image_size = DATA_OFFSET;
	return h;
}

static Elf32_Phdr *elf32_segment(uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
	Elf32_Ehdr *h = (Elf32_Ehdr *)image;
	Elf32_Phdr *p = (Elf32_Phdr *)(image + h->e_phoff) + h->e_phnum++;
	*p = (Elf32_Phdr){ .p_type = PT_LOAD,
			   .p_offset = (uint32_t)image_size,
			   .p_vaddr = paddr,
			   .p_paddr = paddr,
			   .p_filesz = filesz,
			   .p_memsz = memsz,
			   .p_flags = PF_R | PF_X,
			   .p_align = 0x1000 };
	for (uint32_t i = 0; i < filesz; i++)
		image[image_size + i] = (uint8_t)(i + 1);
	image_size += filesz;
	return p;
}

static int load(void)
{
	error[0] = '\0';
	return elf_load(image, image_size, ram, RAM_SIZE, &loaded, error, sizeof(error));
}

static void assert_refused(const char *reason)
{
	assert_int_equal(load(), -1);
	if (!strstr(error, reason))
		fail_msg("the message '%s' lacks '%s'", error, reason);
}

/* A typical 64-bit guest: code at 1 MiB, then data with a bss. */
static void build_good_guest(void)
{
	elf64_begin(0x100010);
	elf64_segment(PT_LOAD, 0x100000, 0x300, 0x300);	 /* .text */
	elf64_segment(PT_LOAD, 0x101000, 0x100, 0x2000); /* .data + .bss */
}

static void a_64bit_image_loads_at_1m(void **state)
{
	(void)state;
	build_good_guest();
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.kind, ELF_KIND_64BIT);
	assert_int_equal(loaded.entry, 0x100010);
	assert_int_equal(loaded.load_start, 0x100000);
	assert_int_equal(loaded.load_end, 0x103000);
	assert_memory_equal(ram + 0x100000, image + DATA_OFFSET, 0x300);
	assert_memory_equal(ram + 0x101000, image + DATA_OFFSET + 0x300, 0x100);
}

static void bss_is_zero_filled_and_nothing_else_is_touched(void **state)
{
	(void)state;
	build_good_guest();
	assert_int_equal(load(), 0);
	for (uint64_t a = 0x101100; a < 0x103000; a++)
		if (ram[a] != 0)
			fail_msg("bss byte at 0x%lx is 0x%x, not 0", (unsigned long)a, ram[a]);
	assert_int_equal(ram[0xfffff], UNTOUCHED);
	assert_int_equal(ram[0x100300], UNTOUCHED); /* between the segments */
	assert_int_equal(ram[0x103000], UNTOUCHED);
}

static void segments_other_than_pt_load_and_empty_ones_are_skipped(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	elf64_segment(PT_NOTE, 0x10, 0x20, 0x20); /* would be refused if loaded */
	elf64_segment(PT_LOAD, 0x100000, 0x40, 0x40);
	elf64_segment(PT_LOAD, 0x50, 0, 0); /* empty, below 1 MiB */
	elf64_segment(PT_GNU_STACK, 0, 0, 0);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.load_start, 0x100000);
	assert_int_equal(loaded.load_end, 0x100040);
	assert_int_equal(ram[0x10], UNTOUCHED);
}

static void a_segment_ending_exactly_at_the_end_of_ram_fits(void **state)
{
	(void)state;
	elf64_begin(RAM_SIZE - 0x1000);
	elf64_segment(PT_LOAD, RAM_SIZE - 0x1000, 0x10, 0x1000);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.load_end, RAM_SIZE);
}

static void a_32bit_i386_image_is_real_mode(void **state)
{
	(void)state;
	elf32_begin(0x8000);
	elf32_segment(0x8000, 0x200, 0x400);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.kind, ELF_KIND_REAL_MODE);
	assert_int_equal(loaded.entry, 0x8000);
	assert_memory_equal(ram + 0x8000, image + DATA_OFFSET, 0x200);
	assert_int_equal(ram[0x8200], 0);
	assert_int_equal(ram[0x83ff], 0);
	assert_int_equal(ram[0x8400], UNTOUCHED);
}

static void a_real_mode_segment_outside_its_window_is_refused(void **state)
{
	(void)state;
	elf32_begin(0x1000);
	elf32_segment(0x1000, 0x100, 0x100); /* over kan_start_info and the guest GDT */
	assert_refused("does not fit in [0x2000, 0xf000)");

	elf32_begin(0xe000);
	elf32_segment(0xe000, 0x100, 0x1001); /* over the real-mode stack */
	assert_refused("segment 0 at 0xe000+0x1001 does not fit in [0x2000, 0xf000)");
}

static void a_64bit_segment_below_1m_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x80000);
	elf64_segment(PT_LOAD, 0x80000, 0x100, 0x100);
	assert_refused("segment 0 at 0x80000+0x100 does not fit in [0x100000, 0x400000)");
}

static void a_segment_outside_ram_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x100, 0x100);
	elf64_segment(PT_LOAD, RAM_SIZE - 0x100, 0x100, 0x101); /* one byte too far */
	assert_refused("segment 1 at 0x3fff00+0x101 does not fit in [0x100000, 0x400000)");

	elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x100, 0x100);
	elf64_segment(PT_LOAD, 0x40000000, 0x10, 0x10); /* at 1 GiB */
	assert_refused("segment 1 at 0x40000000+0x10 does not fit");
}

static void a_segment_whose_end_wraps_around_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x10, UINT64_MAX - 0xff000);
	assert_refused("does not fit");
}

static void file_size_above_memory_size_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x200, 0x100);
	assert_refused("segment 0: file size 0x200 exceeds memory size 0x100");
}

static void segment_data_past_the_end_of_the_file_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	Elf64_Phdr *p = elf64_segment(PT_LOAD, 0x100000, 0x100, 0x100);
	p->p_filesz = 0x101;
	p->p_memsz = 0x101;
	assert_refused("segment 0: data lies outside the file");

	p->p_filesz = 0x100;
	p->p_offset = image_size + 1;
	assert_refused("segment 0: data lies outside the file");

	p->p_offset = 0x10;
	p->p_filesz = UINT64_MAX; /* offset + filesz wraps */
	p->p_memsz = UINT64_MAX;
	assert_refused("segment 0: data lies outside the file");
}

static void program_headers_outside_the_file_are_refused(void **state)
{
	(void)state;
	Elf64_Ehdr *h = elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x100, 0x100);
	h->e_phoff = image_size;
	assert_refused("program headers lie outside the file");
	h->e_phoff = sizeof(Elf64_Ehdr);
	h->e_phnum = 0xffff;
	assert_refused("program headers lie outside the file");
	h->e_phnum = 0;
	assert_refused("program headers lie outside the file");
}

static void program_headers_smaller_than_the_elf_class_says_are_refused(void **state)
{
	(void)state;
	Elf64_Ehdr *h = elf64_begin(0x100000);
	elf64_segment(PT_LOAD, 0x100000, 0x100, 0x100);
	h->e_phentsize = sizeof(Elf32_Phdr);
	assert_refused("program header size 32 is too small");
}

static void an_entry_point_outside_the_segments_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x103000);
	elf64_segment(PT_LOAD, 0x100000, 0x300, 0x300);
	elf64_segment(PT_LOAD, 0x101000, 0x100, 0x2000);
	assert_refused("entry point 0x103000 is outside the loaded segments");

	elf64_begin(0xfffff);
	elf64_segment(PT_LOAD, 0x100000, 0x300, 0x300);
	assert_refused("entry point 0xfffff is outside the loaded segments");
}

static void an_image_without_loadable_segments_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100000);
	elf64_segment(PT_NOTE, 0x100000, 0x10, 0x10);
	assert_refused("no loadable segment");
}

static void something_not_elf_is_refused(void **state)
{
	(void)state;
	memcpy(image, "MZ\x90\x00 this is a PE file", 22);
	image_size = sizeof(image);
	assert_refused("not an ELF file");
	build_good_guest();
	image_size = 40; /* shorter than any ELF header */
	assert_refused("not an ELF file");
}

static void an_elf_header_cut_short_is_refused(void **state)
{
	(void)state;
	build_good_guest();
	image_size = sizeof(Elf64_Ehdr) - 1;
	assert_refused("not x86-64");
}

static void a_64bit_image_for_another_machine_is_refused(void **state)
{
	(void)state;
	build_good_guest();
	((Elf64_Ehdr *)image)->e_machine = EM_AARCH64;
	assert_refused("64-bit ELF for machine 183, not x86-64");
}

static void a_32bit_image_for_another_machine_is_refused(void **state)
{
	(void)state;
	Elf32_Ehdr *h = elf32_begin(0x8000);
	elf32_segment(0x8000, 0x10, 0x10);
	h->e_machine = EM_ARM;
	assert_refused("32-bit ELF for machine 40, not i386");
}

static void a_big_endian_or_unknown_class_image_is_refused(void **state)
{
	(void)state;
	build_good_guest();
	image[EI_DATA] = ELFDATA2MSB;
	assert_refused("not a little-endian ELF file");
	image[EI_DATA] = ELFDATA2LSB;
	image[EI_CLASS] = ELFCLASSNONE;
	assert_refused("unknown ELF class 0");
}

static void a_shared_object_is_not_an_executable(void **state)
{
	(void)state;
	build_good_guest();
	((Elf64_Ehdr *)image)->e_type = ET_DYN;
	assert_refused("ELF type 3 is not an executable");
}

/*
 * Regression test, found by this suite and fixed: kernel/elf_loader.c:129 (the entry check after
 * the segment loop): the entry is checked against the span [lowest segment, end of highest
 * segment), not against the segments themselves, so an entry in the gap between two segments passes
 * and the guest starts in zeroed RAM.
 */
static void an_entry_point_between_two_segments_is_refused(void **state)
{
	(void)state;
	elf64_begin(0x100800);
	elf64_segment(PT_LOAD, 0x100000, 0x300, 0x300);
	elf64_segment(PT_LOAD, 0x101000, 0x100, 0x100);
	assert_refused("entry point 0x100800 is outside the loaded segments");
}

#define ELF_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ELF_TEST(a_64bit_image_loads_at_1m),
		ELF_TEST(bss_is_zero_filled_and_nothing_else_is_touched),
		ELF_TEST(segments_other_than_pt_load_and_empty_ones_are_skipped),
		ELF_TEST(a_segment_ending_exactly_at_the_end_of_ram_fits),
		ELF_TEST(a_32bit_i386_image_is_real_mode),
		ELF_TEST(a_real_mode_segment_outside_its_window_is_refused),
		ELF_TEST(a_64bit_segment_below_1m_is_refused),
		ELF_TEST(a_segment_outside_ram_is_refused),
		ELF_TEST(a_segment_whose_end_wraps_around_is_refused),
		ELF_TEST(file_size_above_memory_size_is_refused),
		ELF_TEST(segment_data_past_the_end_of_the_file_is_refused),
		ELF_TEST(program_headers_outside_the_file_are_refused),
		ELF_TEST(program_headers_smaller_than_the_elf_class_says_are_refused),
		ELF_TEST(an_entry_point_outside_the_segments_is_refused),
		ELF_TEST(an_image_without_loadable_segments_is_refused),
		ELF_TEST(something_not_elf_is_refused),
		ELF_TEST(an_elf_header_cut_short_is_refused),
		ELF_TEST(a_64bit_image_for_another_machine_is_refused),
		ELF_TEST(a_32bit_image_for_another_machine_is_refused),
		ELF_TEST(a_big_endian_or_unknown_class_image_is_refused),
		ELF_TEST(a_shared_object_is_not_an_executable),
		ELF_TEST(an_entry_point_between_two_segments_is_refused),
	};
	return cmocka_run_group_tests_name("elf_loader", tests, NULL, NULL);
}
