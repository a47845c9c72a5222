#include "kernel/multiboot2_image.h"
#include "kernel/format.h"
#include "kernel/string.h"

#define KIB 1024u

/* The header's fixed fields (3.1.1); its tags follow, each 8-byte aligned. */
struct mb2_header {
	uint32_t magic, architecture, header_length, checksum;
};

struct mb2_header_tag {
	uint16_t type, flags;
	uint32_t size;
};

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

/* What the header's tags asked for, as far as loading needs it. */
struct mb2_tags {
	bool has_address, has_entry;
	struct mb_addresses addresses; /* entry_addr from the entry address tag */
};

/* The boot information tags' names, for refusals. */
static const char *info_name(uint32_t type)
{
	static const char *const names[] = {
		"end",
		"command line",
		"boot loader name",
		"modules",
		"basic memory",
		"BIOS boot device",
		"memory map",
		"VBE",
		"framebuffer",
		"ELF sections",
		"APM table",
		"EFI 32-bit system table",
		"EFI 64-bit system table",
		"SMBIOS",
		"ACPI 1.0 RSDP",
		"ACPI 2.0 RSDP",
		"network",
		"EFI memory map",
		"EFI boot services",
		"EFI 32-bit image handle",
		"EFI 64-bit image handle",
		"image load base address",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

static bool can_give(uint32_t type, bool vm_has_acpi)
{
	switch (type) {
	case MB2_TAG_END:
	case MB2_TAG_CMDLINE:
	case MB2_TAG_LOADER_NAME:
	case MB2_TAG_MODULE:
	case MB2_TAG_BASIC_MEMINFO:
	case MB2_TAG_MMAP:
		return true;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		return vm_has_acpi;
	default:
		return false;
	}
}

/* One header tag at `t` (its `size` checked to lie in the header). */
static int read_tag(const uint8_t *t, const struct mb2_header_tag *tag, bool vm_has_acpi,
		    struct mb2_tags *out, char *error, size_t error_size)
{
	bool required = !(tag->flags & MB2_HTAG_OPTIONAL);
	uint32_t fields[5] = { 0 };
	size_t payload = tag->size - sizeof(*tag);
	memcpy(fields, t + sizeof(*tag), payload < sizeof(fields) ? payload : sizeof(fields));
	switch (tag->type) {
	case MB2_HTAG_INFO_REQUEST:
		for (size_t i = 0; required && i < payload / 4; i++) {
			uint32_t type;
			memcpy(&type, t + sizeof(*tag) + i * 4, 4);
			if (!can_give(type, vm_has_acpi))
				FAIL("the header requires information kan cannot give: %s (tag %u)",
				     info_name(type), type);
		}
		return 0;
	case MB2_HTAG_ADDRESS:
		if (tag->size != 24)
			FAIL("the address tag has size %u, not 24", tag->size);
		out->has_address = true;
		memcpy(&out->addresses, fields, 16);
		return 0;
	case MB2_HTAG_ENTRY:
		if (tag->size != 12)
			FAIL("the entry address tag has size %u, not 12", tag->size);
		out->has_entry = true;
		out->addresses.entry_addr = fields[0];
		return 0;
	case MB2_HTAG_FLAGS:
		if (tag->size != 12)
			FAIL("the flags tag has size %u, not 12", tag->size);
		if (required && (fields[0] & MB2_CONSOLE_REQUIRED))
			FAIL("the header requires a console (flags tag, bit 0): kan's VMs have no "
			     "display");
		return 0;
	case MB2_HTAG_FRAMEBUFFER:
		if (required)
			FAIL("the header requires a framebuffer (tag 5): kan's VMs have no "
			     "display");
		return 0;
	case MB2_HTAG_ENTRY_EFI32:
	case MB2_HTAG_ENTRY_EFI64:
		if (required)
			FAIL("the header requires an EFI entry (tag %u): kan enters kernels as a "
			     "BIOS loader does",
			     tag->type);
		return 0;
	case MB2_HTAG_MODULE_ALIGN:	 /* kan aligns modules to 4 KiB anyway */
	case MB2_HTAG_EFI_BOOT_SERVICES: /* a permission; there are no boot services */
	case MB2_HTAG_RELOCATABLE:	 /* kan loads where the image was linked to go */
		return 0;
	default:
		if (required)
			FAIL("the header requires tag type %u, which kan does not know", tag->type);
		return 0;
	}
}

/* Walks the tags from the header at `offset` to the end tag. */
static int read_tags(const uint8_t *image, size_t size, uint32_t offset, bool vm_has_acpi,
		     struct mb2_tags *out, char *error, size_t error_size)
{
	struct mb2_header h;
	memcpy(&h, image + offset, sizeof(h));
	if (h.architecture != MB2_ARCH_I386)
		FAIL("the Multiboot2 header is for architecture %u, not i386 (0)", h.architecture);
	if (h.header_length < sizeof(h) + sizeof(struct mb2_header_tag) ||
	    h.header_length > size - offset)
		FAIL("the Multiboot2 header's length %u does not fit the file", h.header_length);
	uint64_t end = (uint64_t)offset + h.header_length;
	for (uint64_t at = offset + sizeof(h);;) {
		struct mb2_header_tag tag;
		if (at + sizeof(tag) > end)
			FAIL("the Multiboot2 header's tags have no end tag within its length %u",
			     h.header_length);
		memcpy(&tag, image + at, sizeof(tag));
		if (tag.type == MB2_HTAG_END)
			return 0;
		if (tag.size < sizeof(tag) || tag.size > end - at)
			FAIL("header tag %u at offset 0x%lx has a bad size %u", tag.type, at,
			     tag.size);
		if (read_tag(image + at, &tag, vm_has_acpi, out, error, error_size))
			return -1;
		at = ALIGN8(at + tag.size);
	}
}

int mb2_load(const void *image_, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     bool vm_has_acpi, struct mb2_image *out, char *error, size_t error_size)
{
	const uint8_t *image = image_;
	memset(out, 0, sizeof(*out));
	/* Magic, architecture, header_length and checksum sum to zero (3.1.2). */
	static const struct mb_header_rule rule = { "Multiboot2", MB2_HEADER_MAGIC, 4, 8,
						    MB2_SEARCH_BYTES };
	if (mb_find_header(image, image_size, &rule, &out->header_offset, error, error_size))
		return -1;
	struct mb2_tags tags = { 0 };
	if (read_tags(image, image_size, out->header_offset, vm_has_acpi, &tags, error, error_size))
		return -1;
	if (tags.has_address) {
		if (!tags.has_entry)
			FAIL("the address tag needs an entry address tag (type 3)");
		struct mb_addresses a = tags.addresses;
		if (a.load_addr == UINT32_MAX) { /* the file from its first byte */
			if (a.header_addr < out->header_offset)
				FAIL("header_addr 0x%x is below the header's offset 0x%x",
				     a.header_addr, out->header_offset);
			a.load_addr = a.header_addr - out->header_offset;
		}
		out->address_tag = true;
		out->entry = a.entry_addr;
		return mb_load_addresses(image, image_size, out->header_offset, &a, ram, ram_size,
					 &out->load_start, &out->load_end, error, error_size);
	}
	uint64_t entry;
	if (mb_load_elf(image, image_size, ram, ram_size, !tags.has_entry, &entry, &out->load_start,
			&out->load_end, error, error_size))
		return -1;
	if (tags.has_entry) {
		entry = tags.addresses.entry_addr;
		if (entry < out->load_start || entry >= out->load_end)
			FAIL("entry point 0x%lx (the entry address tag) is outside the image "
			     "(0x%lx-0x%lx)",
			     entry, out->load_start, out->load_end);
	}
	out->entry = (uint32_t)entry; /* below 4 GiB: inside RAM */
	return 0;
}

/* Appends a tag of `size` bytes at `*at`. What mb2_write_info writes, with its limits on the
 * module count and names, stays below 7 KiB: it always fits in [MB2_INFO_ADDR, MB2_INFO_END). */
static uint8_t *put_tag(uint8_t *ram, uint64_t *at, uint32_t type, uint64_t size)
{
	struct mb2_tag *t = (struct mb2_tag *)(ram + *at);
	t->type = type;
	t->size = (uint32_t)size;
	*at += ALIGN8(size);
	return (uint8_t *)t + sizeof(*t);
}

int mb2_write_info(uint8_t *ram, uint64_t ram_size, const struct mb2_image *image,
		   const struct mb1_module *modules, unsigned count, const void *rsdp, char *error,
		   size_t error_size)
{
	if (count > MB1_MODULES_MAX)
		FAIL("%u modules; kan passes at most %u", count, MB1_MODULES_MAX);
	uint64_t at = MB2_INFO_ADDR + 8; /* after total_size and reserved */
	/* The command line is in place already: this tag's header goes around it. */
	size_t cmdline = strnlen((char *)ram + MB2_CMDLINE_ADDR, MB1_CMDLINE_MAX - 1);
	ram[MB2_CMDLINE_ADDR + cmdline] = '\0';
	put_tag(ram, &at, MB2_TAG_CMDLINE, sizeof(struct mb2_tag) + cmdline + 1);
	memcpy(put_tag(ram, &at, MB2_TAG_LOADER_NAME, sizeof(struct mb2_tag) + 4), "kan", 4);

	uint64_t place = mb_module_start(image->load_end);
	for (unsigned i = 0; i < count; i++) {
		const struct mb1_module *m = &modules[i];
		if (mb_copy_module(ram, ram_size, place, m, error, error_size))
			return -1;
		size_t name = strnlen(m->string, MB2_MODULE_NAME_MAX) + 1;
		if (name > MB2_MODULE_NAME_MAX)
			FAIL("module name '%s' is longer than %u bytes", m->string,
			     MB2_MODULE_NAME_MAX - 1);
		uint8_t *t = put_tag(ram, &at, MB2_TAG_MODULE, sizeof(struct mb2_tag) + 8 + name);
		uint32_t span[2] = { (uint32_t)place, (uint32_t)(place + m->size) };
		memcpy(t, span, 8);
		memcpy(t + 8, m->string, name);
		place = mb_module_start(place + m->size);
	}

	uint32_t mem[2] = { MB_LOW_RAM_END / KIB, (uint32_t)((ram_size - MB1_LOAD_MIN) / KIB) };
	memcpy(put_tag(ram, &at, MB2_TAG_BASIC_MEMINFO, sizeof(struct mb2_tag) + 8), mem, 8);

	struct mb_region regions[MB_MMAP_ENTRIES];
	mb_memory_map(ram_size, regions);
	uint8_t *t = put_tag(ram, &at, MB2_TAG_MMAP,
			     sizeof(struct mb2_tag) + 8 +
				     MB_MMAP_ENTRIES * sizeof(struct mb2_mmap_entry));
	uint32_t version[2] = { sizeof(struct mb2_mmap_entry), 0 }; /* entry_size, entry_version */
	memcpy(t, version, 8);
	for (unsigned i = 0; i < MB_MMAP_ENTRIES; i++) {
		struct mb2_mmap_entry e = { regions[i].base, regions[i].length, regions[i].type,
					    0 };
		memcpy(t + 8 + i * sizeof(e), &e, sizeof(e));
	}

	if (rsdp) {
		/* An RSDP of revision 2 or later is 36 bytes with the XSDT; ACPI 1.0's is 20. */
		bool v2 = ((const uint8_t *)rsdp)[15] >= 2;
		uint32_t length = v2 ? 36 : 20;
		t = put_tag(ram, &at, v2 ? MB2_TAG_ACPI_NEW : MB2_TAG_ACPI_OLD,
			    sizeof(struct mb2_tag) + length);
		memcpy(t, rsdp, length);
	}

	put_tag(ram, &at, MB2_TAG_END, sizeof(struct mb2_tag));
	uint32_t header[2] = { (uint32_t)(at - MB2_INFO_ADDR), 0 }; /* total_size, reserved */
	memcpy(ram + MB2_INFO_ADDR, header, 8);
	return 0;
}
