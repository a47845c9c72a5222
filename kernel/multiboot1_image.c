#include "kernel/multiboot1_image.h"
#include "kernel/elf_loader.h"
#include "kernel/format.h"
#include "kernel/string.h"

#include <stdbool.h>

#define KIB 1024u

/* The header's fields (3.1): magic, flags, checksum, then the a.out kludge addresses. */
struct mb1_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

/* Where [start, end) may go: above 1 MiB, inside RAM, clear of kan's boot data. */
int mb_check_range(uint64_t start, uint64_t end, uint64_t ram_size, const char *what, char *error,
		   size_t error_size)
{
	if (start < MB1_AREA_END && end > MB1_AREA_START)
		FAIL("%s at 0x%lx-0x%lx overlaps the information structure kan puts at "
		     "0x%x-0x%x",
		     what, start, end, MB1_AREA_START, MB1_AREA_END);
	if (start < MB1_LOAD_MIN)
		FAIL("%s at 0x%lx-0x%lx is below 1 MiB, where kan loads nothing", what, start, end);
	if (end > ram_size || end < start)
		FAIL("%s at 0x%lx-0x%lx is outside the VM's RAM (%lu MiB)", what, start, end,
		     ram_size >> 20);
	return 0;
}

int mb_find_header(const uint8_t *image, size_t size, const struct mb_header_rule *rule,
		   uint32_t *offset, char *error, size_t error_size)
{
	int bad_at = -1;
	size_t limit = size < rule->search_bytes ? size : rule->search_bytes;
	for (size_t at = 0; at + rule->words * 4 <= limit; at += rule->align) {
		uint32_t word[4], sum = 0;
		memcpy(word, image + at, rule->words * 4);
		if (word[0] != rule->magic)
			continue;
		for (unsigned i = 0; i < rule->words; i++)
			sum += word[i];
		if (sum == 0) {
			*offset = (uint32_t)at;
			return 0;
		}
		if (bad_at < 0)
			bad_at = (int)at;
	}
	if (bad_at >= 0)
		FAIL("the %s header at offset 0x%x has a bad checksum", rule->name, bad_at);
	FAIL("no %s header in the first %u KiB", rule->name, rule->search_bytes / KIB);
}

static int check_flags(uint32_t flags, char *error, size_t error_size)
{
	/* A kernel that needs a video mode would draw on a display that is not there. */
	if (flags & MB1_FLAG_VIDEO_MODE)
		FAIL("the header requires a video mode (flags bit 2): kan's VMs have no display");
	uint32_t unknown = flags & 0xffff & ~(MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO);
	if (unknown)
		FAIL("the header requires features kan does not know (flags 0x%x)", unknown);
	return 0;
}

/* Flags bit 16: the header says where the file goes (3.1.3). */
static int load_aout(const uint8_t *image, size_t size, uint32_t offset, uint8_t *ram,
		     uint64_t ram_size, struct mb1_image *out, char *error, size_t error_size)
{
	struct mb1_header h;
	if (offset + sizeof(h) > size)
		FAIL("the Multiboot header's address fields lie outside the file");
	memcpy(&h, image + offset, sizeof(h));
	struct mb_addresses a = { h.header_addr, h.load_addr, h.load_end_addr, h.bss_end_addr,
				  h.entry_addr };
	out->entry = h.entry_addr;
	return mb_load_addresses(image, size, offset, &a, ram, ram_size, &out->load_start,
				 &out->load_end, error, error_size);
}

int mb_load_addresses(const uint8_t *image, size_t size, uint32_t offset,
		      const struct mb_addresses *a, uint8_t *ram, uint64_t ram_size,
		      uint64_t *load_start, uint64_t *load_end, char *error, size_t error_size)
{
	if (a->header_addr < a->load_addr || a->header_addr - a->load_addr > offset)
		FAIL("header_addr 0x%x and load_addr 0x%x put the load before the file's start",
		     a->header_addr, a->load_addr);
	uint64_t file_at = offset - (a->header_addr - a->load_addr);
	uint64_t end = a->load_end_addr ? a->load_end_addr : a->load_addr + (size - file_at);
	if (end < a->load_addr || end - a->load_addr > size - file_at)
		FAIL("load_end_addr 0x%x lies beyond the file's end", a->load_end_addr);
	uint64_t bss_end = a->bss_end_addr ? a->bss_end_addr : end;
	if (bss_end < end)
		FAIL("bss_end_addr 0x%x is below load_end_addr 0x%lx", a->bss_end_addr, end);
	if (mb_check_range(a->load_addr, bss_end, ram_size, "the image", error, error_size))
		return -1;
	if (a->entry_addr < a->load_addr || a->entry_addr >= end)
		FAIL("entry point 0x%x is outside the image (0x%x-0x%lx)", a->entry_addr,
		     a->load_addr, end);
	memcpy(ram + a->load_addr, image + file_at, end - a->load_addr);
	memset(ram + end, 0, bss_end - end);
	*load_start = a->load_addr;
	*load_end = bss_end;
	return 0;
}

struct elf_ctx {
	const uint8_t *image;
	uint8_t *ram;
	uint64_t ram_size;
	const struct elf_image *elf;
	uint64_t entry; /* physical; UINT64_MAX until a segment holds it */
};

static int load_segment(void *ctx, const struct elf_segment *s, unsigned i, char *error,
			size_t error_size)
{
	struct elf_ctx *c = ctx;
	char what[24];
	ksnprintf(what, sizeof(what), "segment %u", i);
	if (s->paddr + s->memsz < s->paddr ||
	    mb_check_range(s->paddr, s->paddr + s->memsz, c->ram_size, what, error, error_size))
		return -1;
	memcpy(c->ram + s->paddr, c->image + s->offset, s->filesz);
	memset(c->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	/* A physical entry, or as GRUB does, a virtual one inside a segment's virtual span
	 * (higher-half kernels): kan jumps to where that byte was loaded. */
	uint64_t entry = c->elf->entry;
	if (entry >= s->paddr && entry - s->paddr < s->memsz)
		c->entry = entry;
	else if (c->entry == UINT64_MAX && entry >= s->vaddr && entry - s->vaddr < s->memsz)
		c->entry = entry - s->vaddr + s->paddr;
	return 0;
}

int mb_load_elf(const uint8_t *image, size_t size, uint8_t *ram, uint64_t ram_size, bool need_entry,
		uint64_t *entry, uint64_t *load_start, uint64_t *load_end, char *error,
		size_t error_size)
{
	struct elf_image elf;
	struct elf_ctx c = { image, ram, ram_size, &elf, UINT64_MAX };
	char why[120];
	if (elf_segments(image, size, load_segment, &c, &elf, why, sizeof(why)))
		FAIL("as ELF (the header has no address fields): %s", why);
	*entry = c.entry;
	*load_start = elf.load_start;
	*load_end = elf.load_end;
	if (need_entry && c.entry == UINT64_MAX)
		FAIL("as ELF: entry point 0x%lx is outside the loaded segments", elf.entry);
	return 0;
}

int mb1_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     struct mb1_image *out, char *error, size_t error_size)
{
	memset(out, 0, sizeof(*out));
	/* Magic, flags and checksum sum to zero (3.1.1). */
	static const struct mb_header_rule rule = { "Multiboot", MB1_HEADER_MAGIC, 3, 4,
						    MB1_SEARCH_BYTES };
	if (mb_find_header(image, image_size, &rule, &out->header_offset, error, error_size))
		return -1;
	memcpy(&out->flags, (const uint8_t *)image + out->header_offset + 4, 4);
	if (check_flags(out->flags, error, error_size))
		return -1;
	if (out->flags & MB1_FLAG_AOUT_KLUDGE)
		return load_aout(image, image_size, out->header_offset, ram, ram_size, out, error,
				 error_size);
	uint64_t entry;
	if (mb_load_elf(image, image_size, ram, ram_size, true, &entry, &out->load_start,
			&out->load_end, error, error_size))
		return -1;
	out->entry = (uint32_t)entry; /* below 4 GiB: the segment is in RAM */
	return 0;
}

int mb_copy_module(uint8_t *ram, uint64_t ram_size, uint64_t at, const struct mb1_module *m,
		   char *error, size_t error_size)
{
	if (m->size > ram_size || at > ram_size - m->size)
		FAIL("module '%s' (%lu KiB) does not fit after the image in %lu MiB", m->string,
		     m->size >> 10, ram_size >> 20);
	memcpy(ram + at, m->data, m->size);
	return 0;
}

uint64_t mb_module_start(uint64_t after)
{
	return (after + 0xfff) & ~0xfffull;
}

void mb_memory_map(uint64_t ram_size, struct mb_region map[MB_MMAP_ENTRIES])
{
	map[0] = (struct mb_region){ 0, MB_LOW_RAM_END, 1 };
	map[1] = (struct mb_region){ MB_LOW_RAM_END, MB1_LOAD_MIN - MB_LOW_RAM_END, 2 };
	map[2] = (struct mb_region){ MB1_LOAD_MIN, ram_size - MB1_LOAD_MIN, 1 };
}

int mb1_write_info(uint8_t *ram, uint64_t ram_size, const struct mb1_image *image,
		   const struct mb1_module *modules, unsigned count, char *error, size_t error_size)
{
	if (count > MB1_MODULES_MAX)
		FAIL("%u modules; kan passes at most %u", count, MB1_MODULES_MAX);
	struct mb1_info *info = (struct mb1_info *)(ram + MB1_INFO_ADDR);
	memset(info, 0, sizeof(*info));

	struct mb1_module_entry *list = (struct mb1_module_entry *)(ram + MB1_MODS_ADDR);
	uint64_t at = mb_module_start(image->load_end);
	uint32_t strings = MB1_STRINGS_ADDR;
	for (unsigned i = 0; i < count; i++) {
		const struct mb1_module *m = &modules[i];
		size_t name = strlen(m->string) + 1;
		if (mb_copy_module(ram, ram_size, at, m, error, error_size))
			return -1;
		if (strings + name > MB1_AREA_END)
			FAIL("the module names do not fit in kan's 0x%x bytes",
			     MB1_AREA_END - MB1_STRINGS_ADDR);
		memcpy(ram + strings, m->string, name);
		list[i] = (struct mb1_module_entry){ (uint32_t)at, (uint32_t)(at + m->size),
						     strings, 0 };
		strings += (uint32_t)name;
		at = mb_module_start(at + m->size);
	}

	struct mb_region regions[MB_MMAP_ENTRIES];
	mb_memory_map(ram_size, regions);
	struct mb1_mmap_entry *map = (struct mb1_mmap_entry *)(ram + MB1_MMAP_ADDR);
	for (unsigned i = 0; i < MB_MMAP_ENTRIES; i++)
		map[i] = (struct mb1_mmap_entry){ sizeof(*map) - 4, regions[i].base,
						  regions[i].length, regions[i].type };

	strlcpy((char *)ram + MB1_LOADER_ADDR, "kan", 4);
	info->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
		      MB1_INFO_LOADER;
	info->mem_lower = MB_LOW_RAM_END / KIB;
	info->mem_upper = (uint32_t)((ram_size - MB1_LOAD_MIN) / KIB);
	info->cmdline = MB1_CMDLINE_ADDR;
	info->mods_count = count;
	info->mods_addr = MB1_MODS_ADDR;
	info->mmap_length = MB_MMAP_ENTRIES * sizeof(struct mb1_mmap_entry);
	info->mmap_addr = MB1_MMAP_ADDR;
	info->boot_loader_name = MB1_LOADER_ADDR;
	return 0;
}

void mb1_cmdline(const char *module_line, const char *guest_args, const char *fallback, char *out,
		 size_t out_size)
{
	while (*module_line == ' ')
		module_line++;
	size_t word = 0;
	bool has_equals = false;
	for (; module_line[word] && module_line[word] != ' '; word++)
		has_equals |= module_line[word] == '=';
	bool is_path = word && !has_equals &&
		       !(word == 2 && module_line[0] == '-' && module_line[1] == '-');
	const char *first = is_path ? module_line : fallback;
	size_t first_len = is_path ? word : strlen(fallback);
	if (first_len >= out_size)
		first_len = out_size - 1;
	memcpy(out, first, first_len);
	out[first_len] = '\0';
	if (*guest_args && first_len + 1 < out_size) {
		out[first_len] = ' ';
		strlcpy(out + first_len + 1, guest_args, out_size - first_len - 1);
	}
}
