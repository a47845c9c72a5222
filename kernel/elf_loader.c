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

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

static struct elf_segment read_segment(const uint8_t *image, uint64_t at, bool is64)
{
	if (is64) {
		const struct elf64_phdr *p = (const void *)(image + at);
		return (struct elf_segment){ p->type,	p->offset, p->paddr,
					     p->filesz, p->memsz,  p->vaddr };
	}
	const struct elf32_phdr *p = (const void *)(image + at);
	return (struct elf_segment){ p->type, p->offset, p->paddr, p->filesz, p->memsz, p->vaddr };
}

int elf_segments(const void *image, size_t image_size, elf_segment_fn each, void *ctx,
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

	out->load_start = UINT64_MAX;
	out->load_end = 0;
	out->entry = entry;
	for (uint64_t i = 0; i < phnum; i++) {
		struct elf_segment s = read_segment(img, phoff + i * phentsize, is64);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		if (s.filesz > s.memsz)
			FAIL("segment %lu: file size 0x%lx exceeds memory size 0x%lx", i, s.filesz,
			     s.memsz);
		if (s.offset > image_size || s.filesz > image_size - s.offset)
			FAIL("segment %lu: data lies outside the file", i);
		if (each(ctx, &s, (unsigned)i, error, error_size))
			return -1;
		if (s.paddr < out->load_start)
			out->load_start = s.paddr;
		if (s.paddr + s.memsz > out->load_end)
			out->load_end = s.paddr + s.memsz;
	}
	if (out->load_end == 0)
		FAIL("no loadable segment");
	return 0;
}

struct load_ctx {
	const uint8_t *image;
	uint8_t *ram;
	uint64_t min, limit;
	const struct elf_image *elf; /* its entry is set before the first segment */
	bool entry_loaded;
};

static int load_segment(void *ctx, const struct elf_segment *s, unsigned i, char *error,
			size_t error_size)
{
	struct load_ctx *c = ctx;
	if (s->paddr < c->min || s->paddr > c->limit || s->memsz > c->limit - s->paddr)
		FAIL("segment %u at 0x%lx+0x%lx does not fit in [0x%lx, 0x%lx)", i, s->paddr,
		     s->memsz, c->min, c->limit);
	memcpy(c->ram + s->paddr, c->image + s->offset, s->filesz);
	memset(c->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	c->entry_loaded |= c->elf->entry >= s->paddr && c->elf->entry - s->paddr < s->memsz;
	return 0;
}

int elf_load(const void *image, size_t image_size, void *ram, uint64_t ram_size,
	     struct elf_image *out, char *error, size_t error_size)
{
	const uint8_t *img = image;
	/* The class decides where segments may go; elf_segments checks the rest. */
	bool is64 = image_size > EI_CLASS && img[EI_CLASS] == ELFCLASS64;
	memset(out, 0, sizeof(*out));
	struct load_ctx c = { img,
			      ram,
			      is64 ? KAN_GUEST_IMAGE_MIN : KAN_REAL_MODE_LOAD_MIN,
			      is64 ? ram_size : KAN_REAL_MODE_LOAD_END,
			      out,
			      false };
	if (c.limit > ram_size)
		c.limit = ram_size;
	if (elf_segments(image, image_size, load_segment, &c, out, error, error_size))
		return -1;
	if (!c.entry_loaded)
		FAIL("entry point 0x%lx is outside the loaded segments", out->entry);
	if (out->kind == ELF_KIND_REAL_MODE && out->entry >= 0x10000)
		FAIL("real-mode entry point 0x%lx is not below 64 KiB", out->entry);
	return 0;
}

#define PT_NOTE	 4
#define SHT_NOTE 7

struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct elf32_shdr {
	uint32_t name, type, flags, addr, offset, size, link, info, addralign, entsize;
};

/* Walks the notes in [at, at + size) of the file for one named `name` of `type`. */
static bool note_in(const uint8_t *img, size_t image_size, uint64_t at, uint64_t size,
		    const char *name, uint32_t type, const uint8_t **desc, uint32_t *desc_size)
{
	if (at > image_size || size > image_size - at)
		return false;
	uint64_t end = at + size, name_len = strlen(name) + 1;
	while (end - at >= 12) {
		uint32_t n[3]; /* namesz, descsz, type */
		memcpy(n, img + at, sizeof(n));
		uint64_t name_at = at + 12, desc_at = name_at + (((uint64_t)n[0] + 3) & ~3ull);
		uint64_t next = desc_at + (((uint64_t)n[1] + 3) & ~3ull);
		if (next > end)
			return false;
		if (n[2] == type && n[0] == name_len && !memcmp(img + name_at, name, name_len)) {
			*desc = img + desc_at;
			*desc_size = n[1];
			return true;
		}
		at = next;
	}
	return false;
}

bool elf_find_note(const void *image, size_t image_size, const char *name, uint32_t type,
		   const uint8_t **desc, uint32_t *desc_size)
{
	const uint8_t *img = image;
	if (image_size < sizeof(struct elf64_ehdr) || memcmp(img,
							     "\x7f"
							     "ELF",
							     4))
		return false;
	bool is64 = img[EI_CLASS] == ELFCLASS64;
	uint64_t phoff, phentsize, phnum, shoff, shentsize, shnum;
	if (is64) {
		const struct elf64_ehdr *h = image;
		phoff = h->phoff, phentsize = h->phentsize, phnum = h->phnum;
		shoff = h->shoff, shentsize = h->shentsize, shnum = h->shnum;
	} else {
		const struct elf32_ehdr *h = image;
		phoff = h->phoff, phentsize = h->phentsize, phnum = h->phnum;
		shoff = h->shoff, shentsize = h->shentsize, shnum = h->shnum;
	}
	if (phentsize >= (is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr)) &&
	    phoff <= image_size && phnum * phentsize <= image_size - phoff) {
		for (uint64_t i = 0; i < phnum; i++) {
			struct elf_segment s = read_segment(img, phoff + i * phentsize, is64);
			if (s.type == PT_NOTE && note_in(img, image_size, s.offset, s.filesz, name,
							 type, desc, desc_size))
				return true;
		}
	}
	/* A file whose notes no segment covers may still list them as sections. */
	if (shentsize < (is64 ? sizeof(struct elf64_shdr) : sizeof(struct elf32_shdr)) ||
	    shoff > image_size || shnum * shentsize > image_size - shoff)
		return false;
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *at = img + shoff + i * shentsize;
		uint64_t offset, size;
		uint32_t sh_type;
		if (is64) {
			const struct elf64_shdr *s = (const void *)at;
			sh_type = s->type, offset = s->offset, size = s->size;
		} else {
			const struct elf32_shdr *s = (const void *)at;
			sh_type = s->type, offset = s->offset, size = s->size;
		}
		if (sh_type == SHT_NOTE &&
		    note_in(img, image_size, offset, size, name, type, desc, desc_size))
			return true;
	}
	return false;
}
