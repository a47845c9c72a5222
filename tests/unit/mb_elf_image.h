/* ELF images for the Multiboot loaders' tests (test_multiboot1.c, test_multiboot2_image.c):
 * one PT_LOAD segment of file offset 0x1000, 0x1000 bytes in the file and `memsz` in memory,
 * where each test puts its header. They return the file's size, 0x2000. */
#ifndef KAN_TESTS_UNIT_MB_ELF_IMAGE_H
#define KAN_TESTS_UNIT_MB_ELF_IMAGE_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

#define MB_TEST_ELF_SIZE 0x2000

static inline void mb_test_ident(uint8_t *image, int class)
{
	memcpy(image, ELFMAG, SELFMAG);
	image[EI_CLASS] = (uint8_t) class;
	image[EI_DATA] = ELFDATA2LSB;
}

static inline size_t mb_test_elf32(uint8_t *image, uint32_t paddr, uint32_t vaddr, uint32_t entry,
				   uint32_t memsz)
{
	Elf32_Ehdr *e = (Elf32_Ehdr *)image;
	mb_test_ident(image, ELFCLASS32);
	e->e_type = ET_EXEC;
	e->e_machine = EM_386;
	e->e_entry = entry;
	e->e_phoff = sizeof(*e);
	e->e_phentsize = sizeof(Elf32_Phdr);
	e->e_phnum = 1;
	*(Elf32_Phdr *)(image + e->e_phoff) = (Elf32_Phdr){ .p_type = PT_LOAD,
							    .p_offset = 0x1000,
							    .p_paddr = paddr,
							    .p_vaddr = vaddr,
							    .p_filesz = 0x1000,
							    .p_memsz = memsz };
	return MB_TEST_ELF_SIZE;
}

static inline size_t mb_test_elf64(uint8_t *image, uint64_t paddr, uint64_t entry, uint64_t memsz)
{
	Elf64_Ehdr *e = (Elf64_Ehdr *)image;
	mb_test_ident(image, ELFCLASS64);
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_entry = entry;
	e->e_phoff = sizeof(*e);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 1;
	*(Elf64_Phdr *)(image + e->e_phoff) = (Elf64_Phdr){ .p_type = PT_LOAD,
							    .p_offset = 0x1000,
							    .p_paddr = paddr,
							    .p_vaddr = paddr,
							    .p_filesz = 0x1000,
							    .p_memsz = memsz };
	return MB_TEST_ELF_SIZE;
}

#endif
