/* pvh_load and pvh_write_start_info (kernel/pvh_image.c), elf_find_note and e820_board, on
 * images built here. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/e820.h"
#include "kernel/elf_loader.h"
#include "kernel/pvh_image.h"

#define MIB	  (1ull << 20)
#define RAM_SIZE  (4 * MIB)
#define UNTOUCHED 0xaa

#define LOAD_AT	    0x200000u /* the test image's segment */
#define LOAD_FILE   0x1000u
#define LOAD_MEM    0x3000u
#define ENTRY	    (LOAD_AT + 0x40)
#define DATA_OFFSET 0x1000u /* the segment's bytes in the file */
#define NOTE_OFFSET 0x400u

static _Alignas(8) uint8_t image[0x3000];
static size_t image_size;
static uint8_t *ram;
static struct pvh_image loaded;
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

/* Notes at NOTE_OFFSET: a GNU note first (to be skipped), then "Xen" type `type` with a
 * descriptor of `desc_size` bytes holding `entry`. Returns their size. */
static uint32_t write_notes(const char *name, uint32_t type, uint32_t desc_size, uint64_t entry)
{
	uint8_t *p = image + NOTE_OFFSET;
	uint32_t gnu[3] = { 4, 4, 3 };
	memcpy(p, gnu, 12);
	memcpy(p + 12, "GNU", 4);
	p += 20;
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t xen[3] = { namesz, desc_size, type };
	memcpy(p, xen, 12);
	memcpy(p + 12, name, namesz);
	p += 12 + ((namesz + 3) & ~3u);
	memcpy(p, &entry, desc_size < 8 ? desc_size : 8);
	p += (desc_size + 3) & ~3u;
	return (uint32_t)(p - (image + NOTE_OFFSET));
}

static void fill_segment(void)
{
	for (size_t i = 0; i < LOAD_FILE; i++)
		image[DATA_OFFSET + i] = (uint8_t)(i * 7 + 1);
}

/* An ELF64 vmlinux-like image: one PT_LOAD at LOAD_AT (virtual address high), one PT_NOTE. */
static Elf64_Phdr *elf64_image(uint32_t desc_size, uint64_t entry)
{
	Elf64_Ehdr *h = (Elf64_Ehdr *)image;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_entry = 0x1000000; /* the 64-bit entry, which PVH does not use */
	h->e_phoff = sizeof(*h);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(image + sizeof(*h));
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_offset = DATA_OFFSET,
			      .p_vaddr = 0xffffffff80000000ull + LOAD_AT,
			      .p_paddr = LOAD_AT,
			      .p_filesz = LOAD_FILE,
			      .p_memsz = LOAD_MEM };
	uint32_t notes = write_notes("Xen", PVH_NOTE_PHYS32_ENTRY, desc_size, entry);
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFFSET, .p_filesz = notes };
	fill_segment();
	image_size = DATA_OFFSET + LOAD_FILE;
	return ph;
}

static Elf32_Phdr *elf32_image(void)
{
	Elf32_Ehdr *h = (Elf32_Ehdr *)image;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS32;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_type = ET_EXEC;
	h->e_machine = EM_386;
	h->e_phoff = sizeof(*h);
	h->e_phentsize = sizeof(Elf32_Phdr);
	h->e_phnum = 2;
	Elf32_Phdr *ph = (Elf32_Phdr *)(image + sizeof(*h));
	ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD,
			      .p_offset = DATA_OFFSET,
			      .p_vaddr = LOAD_AT,
			      .p_paddr = LOAD_AT,
			      .p_filesz = LOAD_FILE,
			      .p_memsz = LOAD_MEM };
	uint32_t notes = write_notes("Xen", PVH_NOTE_PHYS32_ENTRY, 4, ENTRY);
	ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFFSET, .p_filesz = notes };
	fill_segment();
	image_size = DATA_OFFSET + LOAD_FILE;
	return ph;
}

static int load(void)
{
	error[0] = '\0';
	return pvh_load(image, image_size, ram, RAM_SIZE, &loaded, error, sizeof(error));
}

static void assert_refused(const char *reason)
{
	assert_int_equal(load(), -1);
	if (!strstr(error, reason))
		fail_msg("error '%s' does not say '%s'", error, reason);
}

static void test_elf64_loads_at_physical_addresses(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, ENTRY);
	assert_int_equal(loaded.load_start, LOAD_AT);
	assert_int_equal(loaded.load_end, LOAD_AT + LOAD_MEM);
	assert_memory_equal(ram + LOAD_AT, image + DATA_OFFSET, LOAD_FILE);
	for (size_t i = LOAD_FILE; i < LOAD_MEM; i++)
		assert_int_equal(ram[LOAD_AT + i], 0);
	assert_int_equal(ram[LOAD_AT - 1], UNTOUCHED);
	assert_int_equal(ram[LOAD_AT + LOAD_MEM], UNTOUCHED);
}

static void test_elf32_with_a_four_byte_note(void **state)
{
	(void)state;
	elf32_image();
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, ENTRY);
	assert_memory_equal(ram + LOAD_AT, image + DATA_OFFSET, LOAD_FILE);
}

/* A file whose note is a section only (no PT_NOTE segment covers it). */
static void test_note_found_as_a_section(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, ENTRY);
	uint32_t notes = (uint32_t)ph[1].p_filesz;
	ph[1].p_type = PT_NULL;
	Elf64_Ehdr *h = (Elf64_Ehdr *)image;
	h->e_shoff = 0x200;
	h->e_shentsize = sizeof(Elf64_Shdr);
	h->e_shnum = 2;
	Elf64_Shdr *sh = (Elf64_Shdr *)(image + 0x200);
	sh[1] = (Elf64_Shdr){ .sh_type = SHT_NOTE, .sh_offset = NOTE_OFFSET, .sh_size = notes };
	assert_int_equal(load(), 0);
	assert_int_equal(loaded.entry, ENTRY);
	const uint8_t *desc;
	uint32_t size;
	sh[1].sh_type = SHT_PROGBITS;
	assert_false(elf_find_note(image, image_size, "Xen", 18, &desc, &size));
}

static void test_refuses_not_elf(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	image[1] = 'X';
	assert_refused("not an ELF file");
}

static void test_refuses_no_note(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	write_notes("Xen", 17, 8, ENTRY); /* another Xen note type only */
	assert_refused("no PVH entry note");
	write_notes("Xe", PVH_NOTE_PHYS32_ENTRY, 8, ENTRY); /* the type, another name */
	assert_refused("no PVH entry note");
}

static void test_refuses_a_note_beyond_its_segment(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, ENTRY);
	ph[1].p_filesz -= 4; /* the descriptor sticks out */
	assert_refused("no PVH entry note");
	ph[1].p_filesz += 4;
	ph[1].p_offset = sizeof(image) - 8; /* outside the file */
	assert_refused("no PVH entry note");
}

static void test_refuses_bad_note_size_and_high_entry(void **state)
{
	(void)state;
	elf64_image(2, ENTRY);
	assert_refused("the PVH entry note has 2 bytes, not 4 or 8");
	elf64_image(8, 0x100000000ull + ENTRY);
	assert_refused("the PVH entry point 0x100200040 is not a 32-bit address");
}

static void test_refuses_load_outside_ram(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, ENTRY);
	ph[0].p_paddr = RAM_SIZE - 0x1000;
	assert_refused("segment 0 at 0x3ff000-0x402000 is outside the VM's RAM (4 MiB)");
	ph[0].p_paddr = UINT64_MAX - 0x1000; /* wraps */
	assert_refused("is outside the VM's RAM");
	assert_int_equal(ram[RAM_SIZE - 0x1000], UNTOUCHED);
}

static void test_refuses_load_over_boot_data(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, 0x3100);
	ph[0].p_paddr = 0x3000;
	assert_refused("segment 0 at 0x3000-0x6000 overlaps kan's boot data at 0x1000-0x4000");
	ph[0].p_paddr = 0x4000; /* right after it: allowed */
	write_notes("Xen", PVH_NOTE_PHYS32_ENTRY, 8, 0x4100);
	assert_int_equal(load(), 0);
}

static void test_refuses_load_over_the_bios_area(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, 0xf0000);
	ph[0].p_paddr = 0xf0000;
	assert_refused("overlaps the BIOS area 0x9fc00-0x100000");
}

static void test_refuses_entry_outside_the_image(void **state)
{
	(void)state;
	elf64_image(8, LOAD_AT + LOAD_MEM); /* one past the end */
	assert_refused("the PVH entry point 0x203000 is outside the loaded segments");
	elf64_image(8, LOAD_AT + LOAD_MEM - 1); /* in the bss: still the image */
	assert_int_equal(load(), 0);
}

/* The start info of a VM with two modules, a command line, an RSDP and the board's map. */
static const uint8_t initrd[0x1800] = { 1, 2, 3 };
static const uint8_t second[0x10] = { 9 };
static struct e820_entry board_map[E820_BOARD_MAX];
static struct pvh_module modules[2] = { { initrd, sizeof(initrd), "linux-initrd" },
					{ second, sizeof(second), "extra" } };

static struct pvh_boot boot_of(unsigned module_count)
{
	unsigned n = e820_board(board_map, RAM_SIZE, PVH_AREA_START, PVH_AREA_END);
	return (struct pvh_boot){ "console=ttyS0 quiet", 0xe0000, board_map, n, modules,
				  module_count };
}

static int write_info(unsigned module_count)
{
	struct pvh_boot boot = boot_of(module_count);
	return pvh_write_start_info(ram, RAM_SIZE, &loaded, &boot, error, sizeof(error));
}

static void test_start_info_fields(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	assert_int_equal(write_info(2), 0);
	struct hvm_start_info info;
	memcpy(&info, ram + PVH_START_INFO_ADDR, sizeof(info));
	assert_int_equal(sizeof(info), 56); /* start_info.h's version 1 layout */
	assert_int_equal(info.magic, 0x336ec578);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.nr_modules, 2);
	assert_int_equal(info.modlist_paddr, PVH_MODLIST_ADDR);
	assert_int_equal(info.cmdline_paddr, PVH_CMDLINE_ADDR);
	assert_string_equal((char *)ram + info.cmdline_paddr, "console=ttyS0 quiet");
	assert_int_equal(info.rsdp_paddr, 0xe0000);
	assert_int_equal(info.reserved, 0);
	/* Every structure lies in kan's boot data area. */
	assert_true(info.memmap_paddr >= PVH_AREA_START && info.memmap_paddr < PVH_AREA_END);
	assert_true(info.modlist_paddr >= PVH_AREA_START && info.modlist_paddr < PVH_AREA_END);
}

static void test_start_info_modules(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	assert_int_equal(write_info(2), 0);
	struct hvm_modlist_entry m[2];
	memcpy(m, ram + PVH_MODLIST_ADDR, sizeof(m));
	assert_int_equal(sizeof(m[0]), 32);
	/* Module 0 (the initrd) at the top of RAM, page-aligned; module 1 below it. */
	assert_int_equal(m[0].paddr, RAM_SIZE - 0x2000);
	assert_int_equal(m[0].size, sizeof(initrd));
	assert_memory_equal(ram + m[0].paddr, initrd, sizeof(initrd));
	assert_string_equal((char *)ram + m[0].cmdline_paddr, "linux-initrd");
	assert_int_equal(m[0].reserved, 0);
	assert_int_equal(m[1].paddr, RAM_SIZE - 0x3000);
	assert_int_equal(m[1].size, sizeof(second));
	assert_memory_equal(ram + m[1].paddr, second, sizeof(second));
	assert_string_equal((char *)ram + m[1].cmdline_paddr, "extra");
}

static void test_start_info_without_modules(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	assert_int_equal(write_info(0), 0);
	struct hvm_start_info info;
	memcpy(&info, ram + PVH_START_INFO_ADDR, sizeof(info));
	assert_int_equal(info.nr_modules, 0);
	assert_int_equal(info.modlist_paddr, 0);
}

static void test_start_info_memory_map(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	assert_int_equal(write_info(1), 0);
	struct hvm_start_info info;
	memcpy(&info, ram + PVH_START_INFO_ADDR, sizeof(info));
	assert_int_equal(info.memmap_entries, 5);
	struct hvm_memmap_table_entry map[5];
	memcpy(map, ram + info.memmap_paddr, sizeof(map));
	assert_int_equal(sizeof(map[0]), 24);
	const struct hvm_memmap_table_entry want[5] = {
		{ 0, 0x1000, 1, 0 },			 /* RAM */
		{ 0x1000, 0x3000, 2, 0 },		 /* kan's boot data */
		{ 0x4000, 0x9fc00 - 0x4000, 1, 0 },	 /* RAM */
		{ 0x9fc00, 0x100000 - 0x9fc00, 2, 0 },	 /* BIOS area, ACPI tables */
		{ 0x100000, RAM_SIZE - 0x100000, 1, 0 }, /* RAM */
	};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(map[i].addr, want[i].addr);
		assert_int_equal(map[i].size, want[i].size);
		assert_int_equal(map[i].type, want[i].type);
		assert_int_equal(map[i].reserved, 0);
	}
}

/* kind=linux's e820: nothing of kan's reserved below the BIOS area. */
static void test_board_map_without_boot_data(void **state)
{
	(void)state;
	struct e820_entry map[E820_BOARD_MAX];
	assert_int_equal(e820_board(map, 128 * MIB, 0, 0), 3);
	assert_int_equal(map[0].addr, 0);
	assert_int_equal(map[0].size, 0x9fc00);
	assert_int_equal(map[0].type, E820_RAM);
	assert_int_equal(map[1].addr, 0x9fc00);
	assert_int_equal(map[1].type, E820_RESERVED);
	assert_int_equal(map[2].addr, 0x100000);
	assert_int_equal(map[2].size, 127 * MIB);
	assert_int_equal(map[2].type, E820_RAM);
}

static void test_refuses_module_that_does_not_fit(void **state)
{
	(void)state;
	Elf64_Phdr *ph = elf64_image(8, RAM_SIZE - 0x2000);
	ph[0].p_paddr = RAM_SIZE - 0x3000; /* the image reaches the top of RAM */
	assert_int_equal(load(), 0);
	assert_int_equal(write_info(1), -1);
	assert_string_equal(error,
			    "module 'linux-initrd' (6 KiB) does not fit above the image in 4 MiB");
}

static void test_refuses_too_many_modules(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	struct pvh_boot boot = boot_of(PVH_MODULES_MAX + 1);
	assert_int_equal(pvh_write_start_info(ram, RAM_SIZE, &loaded, &boot, error, sizeof(error)),
			 -1);
	assert_string_equal(error, "9 modules; kan passes at most 8");
}

static void test_command_line_cut_to_fit(void **state)
{
	(void)state;
	elf64_image(8, ENTRY);
	assert_int_equal(load(), 0);
	static char longline[PVH_CMDLINE_MAX + 100];
	memset(longline, 'a', sizeof(longline) - 1);
	struct pvh_boot boot = boot_of(0);
	boot.cmdline = longline;
	assert_int_equal(pvh_write_start_info(ram, RAM_SIZE, &loaded, &boot, error, sizeof(error)),
			 0);
	assert_int_equal(strlen((char *)ram + PVH_CMDLINE_ADDR), PVH_CMDLINE_MAX - 1);
	assert_int_equal(ram[PVH_CMDLINE_ADDR + PVH_CMDLINE_MAX], UNTOUCHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf64_loads_at_physical_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_elf32_with_a_four_byte_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_found_as_a_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_not_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_no_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_a_note_beyond_its_segment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_note_size_and_high_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_load_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_load_over_boot_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_load_over_the_bios_area, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_entry_outside_the_image, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_start_info_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_info_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_info_without_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_info_memory_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_board_map_without_boot_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_module_that_does_not_fit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_too_many_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_line_cut_to_fit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
