#include "kernel/elf_loader.h"
#include "guests/include/kan_guest.h"
#include "kernel/format.h"
#include "kernel/string.h"

#include <stdbool.h>

/* From the System V ABI ELF specification. */
#define EI_CLASS    4
#define ELFCLASS32  1
#define ELFCLASS64  2
#define EI_DATA	    5
#define ELFDATA2LSB 1
#define ET_EXEC	    2
#define EM_386	    3
#define EM_X86_64   62
#define PT_LOAD	    1

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

/* One loadable segment, whatever the ELF class. */
struct segment {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

static struct segment read_segment(const uint8_t *image, uint64_t at, bool is64)
{
	if (is64) {
		const struct elf64_phdr *p = (const void *)(image + at);
		return (struct segment){ p->type, p->offset, p->paddr, p->filesz, p->memsz };
	}
	const struct elf32_phdr *p = (const void *)(image + at);
	return (struct segment){ p->type, p->offset, p->paddr, p->filesz, p->memsz };
}

int elf_load(const void *image, size_t image_size, void *ram, uint64_t ram_size,
	     struct elf_image *out, char *error, size_t error_size)
{
	const uint8_t *img = image;
	if (image_size < sizeof(struct elf32_ehdr) || memcmp(img,
							     "\x7f"
							     "ELF",
							     4))
		FAIL("not an ELF file");
	if (img[EI_DATA] != ELFDATA2LSB)
		FAIL("not a little-endian ELF file");
	bool is64 = img[EI_CLASS] == ELFCLASS64;
	uint64_t phoff = 0, phentsize = 0, phnum = 0, entry = 0;
	if (is64) {
		const struct elf64_ehdr *h = image;
		if (image_size < sizeof(*h) || h->machine != EM_X86_64)
			FAIL("64-bit ELF for machine %u, not x86-64",
			     image_size < sizeof(*h) ? 0 : h->machine);
		if (h->type != ET_EXEC)
			FAIL("ELF type %u is not an executable", h->type);
		phoff = h->phoff, phentsize = h->phentsize, phnum = h->phnum, entry = h->entry;
		if (phentsize < sizeof(struct elf64_phdr))
			FAIL("program header size %lu is too small", phentsize);
		out->kind = ELF_KIND_64BIT;
	} else if (img[EI_CLASS] == ELFCLASS32) {
		const struct elf32_ehdr *h = image;
		if (h->machine != EM_386)
			FAIL("32-bit ELF for machine %u, not i386", h->machine);
		if (h->type != ET_EXEC)
			FAIL("ELF type %u is not an executable", h->type);
		phoff = h->phoff, phentsize = h->phentsize, phnum = h->phnum, entry = h->entry;
		if (phentsize < sizeof(struct elf32_phdr))
			FAIL("program header size %lu is too small", phentsize);
		out->kind = ELF_KIND_REAL_MODE;
	} else {
		FAIL("unknown ELF class %u", img[EI_CLASS]);
	}
	if (phnum == 0 || phoff > image_size || phnum * phentsize > image_size - phoff)
		FAIL("program headers lie outside the file");

	uint64_t min = is64 ? KAN_GUEST_IMAGE_MIN : KAN_REAL_MODE_LOAD_MIN;
	uint64_t limit = is64 ? ram_size : KAN_REAL_MODE_LOAD_END;
	if (limit > ram_size)
		limit = ram_size;
	out->load_start = UINT64_MAX;
	out->load_end = 0;
	bool entry_loaded = false;
	for (uint64_t i = 0; i < phnum; i++) {
		struct segment s = read_segment(img, phoff + i * phentsize, is64);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		if (s.filesz > s.memsz)
			FAIL("segment %lu: file size 0x%lx exceeds memory size 0x%lx", i, s.filesz,
			     s.memsz);
		if (s.offset > image_size || s.filesz > image_size - s.offset)
			FAIL("segment %lu: data lies outside the file", i);
		if (s.paddr < min || s.paddr > limit || s.memsz > limit - s.paddr)
			FAIL("segment %lu at 0x%lx+0x%lx does not fit in [0x%lx, 0x%lx)", i,
			     s.paddr, s.memsz, min, limit);
		memcpy((uint8_t *)ram + s.paddr, img + s.offset, s.filesz);
		memset((uint8_t *)ram + s.paddr + s.filesz, 0, s.memsz - s.filesz);
		if (entry >= s.paddr && entry - s.paddr < s.memsz)
			entry_loaded = true;
		if (s.paddr < out->load_start)
			out->load_start = s.paddr;
		if (s.paddr + s.memsz > out->load_end)
			out->load_end = s.paddr + s.memsz;
	}
	if (out->load_end == 0)
		FAIL("no loadable segment");
	if (!entry_loaded)
		FAIL("entry point 0x%lx is outside the loaded segments", entry);
	if (!is64 && entry >= 0x10000)
		FAIL("real-mode entry point 0x%lx is not below 64 KiB", entry);
	out->entry = entry;
	return 0;
}
