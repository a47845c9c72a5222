#include "kernel/pvh_image.h"
#include "kernel/elf_loader.h"
#include "kernel/format.h"
#include "kernel/string.h"

#include <stdbool.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

struct load_ctx {
	const uint8_t *image;
	uint8_t *ram;
	uint64_t ram_size, entry;
	bool entry_loaded;
};

static bool overlaps(uint64_t start, uint64_t end, uint64_t from, uint64_t to)
{
	return start < to && end > from;
}

static int load_segment(void *ctx, const struct elf_segment *s, unsigned i, char *error,
			size_t error_size)
{
	struct load_ctx *c = ctx;
	uint64_t start = s->paddr, end = s->paddr + s->memsz;
	if (end < start || end > c->ram_size)
		FAIL("segment %u at 0x%lx-0x%lx is outside the VM's RAM (%lu MiB)", i, start, end,
		     c->ram_size >> 20);
	if (overlaps(start, end, PVH_AREA_START, PVH_AREA_END))
		FAIL("segment %u at 0x%lx-0x%lx overlaps kan's boot data at 0x%x-0x%x", i, start,
		     end, PVH_AREA_START, PVH_AREA_END);
	if (overlaps(start, end, E820_BIOS_START, 0x100000))
		FAIL("segment %u at 0x%lx-0x%lx overlaps the BIOS area 0x%x-0x100000 (ACPI "
		     "tables)",
		     i, start, end, E820_BIOS_START);
	memcpy(c->ram + start, c->image + s->offset, s->filesz);
	memset(c->ram + start + s->filesz, 0, s->memsz - s->filesz);
	c->entry_loaded |= c->entry >= start && c->entry < end;
	return 0;
}

int pvh_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     struct pvh_image *out, char *error, size_t error_size)
{
	memset(out, 0, sizeof(*out));
	if (image_size < 4 || memcmp(image,
				     "\x7f"
				     "ELF",
				     4))
		FAIL("not an ELF file");
	const uint8_t *desc;
	uint32_t desc_size;
	if (!elf_find_note(image, image_size, PVH_NOTE_NAME, PVH_NOTE_PHYS32_ENTRY, &desc,
			   &desc_size))
		FAIL("no PVH entry note (a \"Xen\" note of type 18, XEN_ELFNOTE_PHYS32_ENTRY)");
	/* Linux writes the entry as a pointer, 8 bytes in a 64-bit kernel. */
	uint64_t entry = 0;
	if (desc_size != 4 && desc_size != 8)
		FAIL("the PVH entry note has %u bytes, not 4 or 8", desc_size);
	memcpy(&entry, desc, desc_size);
	if (entry >> 32)
		FAIL("the PVH entry point 0x%lx is not a 32-bit address", entry);
	struct load_ctx c = { image, ram, ram_size, entry, false };
	struct elf_image elf;
	char why[120];
	if (elf_segments(image, image_size, load_segment, &c, &elf, why, sizeof(why)))
		FAIL("as ELF: %s", why);
	if (!c.entry_loaded)
		FAIL("the PVH entry point 0x%lx is outside the loaded segments", entry);
	out->entry = (uint32_t)entry;
	out->load_start = elf.load_start;
	out->load_end = elf.load_end;
	return 0;
}

int pvh_write_start_info(uint8_t *ram, uint64_t ram_size, const struct pvh_image *image,
			 const struct pvh_boot *boot, char *error, size_t error_size)
{
	if (boot->module_count > PVH_MODULES_MAX)
		FAIL("%u modules; kan passes at most %u", boot->module_count, PVH_MODULES_MAX);
	if (boot->map_entries > PVH_MEMMAP_MAX)
		FAIL("%u memory map entries; kan has room for %u", boot->map_entries,
		     PVH_MEMMAP_MAX);
	struct hvm_modlist_entry *list = (struct hvm_modlist_entry *)(ram + PVH_MODLIST_ADDR);
	uint64_t top = ram_size;
	/* Modules go above the image and above 1 MiB, clear of kan's boot data and the tables. */
	uint64_t floor = image->load_end > 0x100000 ? image->load_end : 0x100000;
	uint32_t strings = PVH_STRINGS_ADDR;
	for (unsigned i = 0; i < boot->module_count; i++) {
		const struct pvh_module *m = &boot->modules[i];
		size_t name = strlen(m->string) + 1;
		if (m->size > top || ((top - m->size) & ~0xfffull) < floor)
			FAIL("module '%s' (%lu KiB) does not fit above the image in %lu MiB",
			     m->string, m->size >> 10, ram_size >> 20);
		if (strings + name > PVH_STRINGS_END)
			FAIL("the module names do not fit in kan's 0x%x bytes",
			     PVH_STRINGS_END - PVH_STRINGS_ADDR);
		top = (top - m->size) & ~0xfffull;
		memcpy(ram + top, m->data, m->size);
		memcpy(ram + strings, m->string, name);
		list[i] = (struct hvm_modlist_entry){ top, m->size, strings, 0 };
		strings += (uint32_t)name;
	}

	struct hvm_memmap_table_entry *map =
		(struct hvm_memmap_table_entry *)(ram + PVH_MEMMAP_ADDR);
	for (unsigned i = 0; i < boot->map_entries; i++)
		map[i] = (struct hvm_memmap_table_entry){ boot->map[i].addr, boot->map[i].size,
							  boot->map[i].type, 0 };

	/* memmove: the caller may have built the line in place. */
	size_t cmdline_len = strnlen(boot->cmdline, PVH_CMDLINE_MAX - 1);
	memmove(ram + PVH_CMDLINE_ADDR, boot->cmdline, cmdline_len);
	ram[PVH_CMDLINE_ADDR + cmdline_len] = '\0';
	struct hvm_start_info *info = (struct hvm_start_info *)(ram + PVH_START_INFO_ADDR);
	*info = (struct hvm_start_info){
		.magic = PVH_START_MAGIC,
		.version = 1,
		.flags = 0,
		.nr_modules = boot->module_count,
		.modlist_paddr = boot->module_count ? PVH_MODLIST_ADDR : 0,
		.cmdline_paddr = PVH_CMDLINE_ADDR,
		.rsdp_paddr = boot->rsdp,
		.memmap_paddr = PVH_MEMMAP_ADDR,
		.memmap_entries = boot->map_entries,
	};
	return 0;
}
