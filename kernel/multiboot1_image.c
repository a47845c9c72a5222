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
static int check_range(uint64_t start, uint64_t end, uint64_t ram_size, const char *what,
		       char *error, size_t error_size)
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

/* The first header in the first 8 KiB whose checksum holds; NULL and a reason if none. */
static const struct mb1_header *find_header(const uint8_t *image, size_t size, uint32_t *offset,
					    char *error, size_t error_size)
{
	int bad_at = -1;
	size_t limit = size < MB1_SEARCH_BYTES ? size : MB1_SEARCH_BYTES;
	for (size_t at = 0; at + 12 <= limit; at += 4) {
		struct mb1_header h;
		memcpy(&h, image + at, 12);
		if (h.magic != MB1_HEADER_MAGIC)
			continue;
		if (h.magic + h.flags + h.checksum == 0) {
			*offset = (uint32_t)at;
			return (const struct mb1_header *)(image + at);
		}
		if (bad_at < 0)
			bad_at = (int)at;
	}
	if (bad_at >= 0)
		ksnprintf(error, error_size,
			  "the Multiboot header at offset 0x%x has a bad checksum", bad_at);
	else
		ksnprintf(error, error_size, "no Multiboot header in the first %u KiB",
			  MB1_SEARCH_BYTES / KIB);
	return NULL;
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
	if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > offset)
		FAIL("header_addr 0x%x and load_addr 0x%x put the load before the file's start",
		     h.header_addr, h.load_addr);
	uint64_t file_at = offset - (h.header_addr - h.load_addr);
	uint64_t load_end = h.load_end_addr ? h.load_end_addr : h.load_addr + (size - file_at);
	if (load_end < h.load_addr || load_end - h.load_addr > size - file_at)
		FAIL("load_end_addr 0x%x lies beyond the file's end", h.load_end_addr);
	uint64_t bss_end = h.bss_end_addr ? h.bss_end_addr : load_end;
	if (bss_end < load_end)
		FAIL("bss_end_addr 0x%x is below load_end_addr 0x%lx", h.bss_end_addr, load_end);
	if (check_range(h.load_addr, bss_end, ram_size, "the image", error, error_size))
		return -1;
	if (h.entry_addr < h.load_addr || h.entry_addr >= load_end)
		FAIL("entry point 0x%x is outside the image (0x%x-0x%lx)", h.entry_addr,
		     h.load_addr, load_end);
	memcpy(ram + h.load_addr, image + file_at, load_end - h.load_addr);
	memset(ram + load_end, 0, bss_end - load_end);
	out->entry = h.entry_addr;
	out->load_start = h.load_addr;
	out->load_end = bss_end;
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
	    check_range(s->paddr, s->paddr + s->memsz, c->ram_size, what, error, error_size))
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

static int load_elf(const uint8_t *image, size_t size, uint8_t *ram, uint64_t ram_size,
		    struct mb1_image *out, char *error, size_t error_size)
{
	struct elf_image elf;
	struct elf_ctx c = { image, ram, ram_size, &elf, UINT64_MAX };
	char why[120];
	if (elf_segments(image, size, load_segment, &c, &elf, why, sizeof(why)))
		FAIL("as ELF (the header has no address fields): %s", why);
	if (c.entry == UINT64_MAX)
		FAIL("as ELF: entry point 0x%lx is outside the loaded segments", elf.entry);
	out->entry = (uint32_t)c.entry; /* below 4 GiB: the segment is in RAM */
	out->load_start = elf.load_start;
	out->load_end = elf.load_end;
	return 0;
}

int mb1_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     struct mb1_image *out, char *error, size_t error_size)
{
	memset(out, 0, sizeof(*out));
	const struct mb1_header *h =
		find_header(image, image_size, &out->header_offset, error, error_size);
	if (!h)
		return -1;
	memcpy(&out->flags, &h->flags, 4);
	if (check_flags(out->flags, error, error_size))
		return -1;
	if (out->flags & MB1_FLAG_AOUT_KLUDGE)
		return load_aout(image, image_size, out->header_offset, ram, ram_size, out, error,
				 error_size);
	return load_elf(image, image_size, ram, ram_size, out, error, error_size);
}

static void put_mmap(struct mb1_mmap_entry *e, uint64_t base, uint64_t length, uint32_t type)
{
	*e = (struct mb1_mmap_entry){ sizeof(*e) - 4, base, length, type };
}

int mb1_write_info(uint8_t *ram, uint64_t ram_size, const struct mb1_image *image,
		   const struct mb1_module *modules, unsigned count, char *error, size_t error_size)
{
	if (count > MB1_MODULES_MAX)
		FAIL("%u modules; kan passes at most %u", count, MB1_MODULES_MAX);
	struct mb1_info *info = (struct mb1_info *)(ram + MB1_INFO_ADDR);
	memset(info, 0, sizeof(*info));

	struct mb1_module_entry *list = (struct mb1_module_entry *)(ram + MB1_MODS_ADDR);
	uint64_t at = (image->load_end + 0xfff) & ~0xfffull;
	uint32_t strings = MB1_STRINGS_ADDR;
	for (unsigned i = 0; i < count; i++) {
		const struct mb1_module *m = &modules[i];
		size_t name = strlen(m->string) + 1;
		if (m->size > ram_size || at > ram_size - m->size)
			FAIL("module '%s' (%lu KiB) does not fit after the image in %lu MiB",
			     m->string, m->size >> 10, ram_size >> 20);
		if (strings + name > MB1_AREA_END)
			FAIL("the module names do not fit in kan's 0x%x bytes",
			     MB1_AREA_END - MB1_STRINGS_ADDR);
		memcpy(ram + at, m->data, m->size);
		memcpy(ram + strings, m->string, name);
		list[i] = (struct mb1_module_entry){ (uint32_t)at, (uint32_t)(at + m->size),
						     strings, 0 };
		strings += (uint32_t)name;
		at = (at + m->size + 0xfff) & ~0xfffull;
	}

	struct mb1_mmap_entry *map = (struct mb1_mmap_entry *)(ram + MB1_MMAP_ADDR);
	put_mmap(&map[0], 0, 0x9fc00, 1);
	put_mmap(&map[1], 0x9fc00, MB1_LOAD_MIN - 0x9fc00, 2); /* where a PC has its BIOS */
	put_mmap(&map[2], MB1_LOAD_MIN, ram_size - MB1_LOAD_MIN, 1);

	strlcpy((char *)ram + MB1_LOADER_ADDR, "kan", 4);
	info->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
		      MB1_INFO_LOADER;
	info->mem_lower = 0x9fc00 / KIB;
	info->mem_upper = (uint32_t)((ram_size - MB1_LOAD_MIN) / KIB);
	info->cmdline = MB1_CMDLINE_ADDR;
	info->mods_count = count;
	info->mods_addr = MB1_MODS_ADDR;
	info->mmap_length = 3 * sizeof(struct mb1_mmap_entry);
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
