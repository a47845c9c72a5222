#include "kernel/multiboot2.h"
#include "kernel/format.h"
#include "kernel/string.h"

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

static void copy_string(char *dst, size_t dst_size, const char *src, size_t src_max)
{
	size_t n = strnlen(src, src_max);
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_mmap(const struct mb2_tag *tag, struct boot_info *out, char *error,
		      size_t error_size)
{
	const uint8_t *p = (const uint8_t *)tag;
	if (tag->size < 16) {
		ksnprintf(error, error_size, "memory map tag has size %u, below 16", tag->size);
		return -1;
	}
	uint32_t entry_size = *(const uint32_t *)(p + 8);
	if (entry_size < sizeof(struct mb2_mmap_entry)) {
		ksnprintf(error, error_size, "memory map entry size %u is too small", entry_size);
		return -1;
	}
	for (uint32_t off = 16; off + entry_size <= tag->size; off += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)(p + off);
		if (e->type != MB2_MEMORY_AVAILABLE || e->length == 0)
			continue;
		if (out->ram_count == BOOT_MAX_RAM_RANGES) {
			out->ram_dropped++; /* kan says so at boot and uses the first ones */
			out->ram_dropped_bytes += e->length;
			continue;
		}
		out->ram[out->ram_count++] = (struct mem_range){ e->base, e->base + e->length };
	}
	return 0;
}

/* The framebuffer tag: address, pitch, size, depth, type, then (RGB) the colour fields. A tag
 * too short for what its type needs is left out: kan is better off without a screen than
 * stopped for one. */
static void parse_framebuffer(const struct mb2_tag *tag, struct boot_framebuffer *fb)
{
	const uint8_t *p = (const uint8_t *)tag;
	memset(fb, 0, sizeof(*fb));
	if (tag->size < 30 || (p[29] == MB2_FRAMEBUFFER_RGB && tag->size < 38))
		return;
	memcpy(&fb->addr, p + 8, 8);
	memcpy(&fb->pitch, p + 16, 4);
	memcpy(&fb->width, p + 20, 4);
	memcpy(&fb->height, p + 24, 4);
	fb->bpp = p[28];
	fb->type = p[29];
	if (fb->type == MB2_FRAMEBUFFER_RGB) {
		fb->red_shift = p[32];
		fb->red_bits = p[33];
		fb->green_shift = p[34];
		fb->green_bits = p[35];
		fb->blue_shift = p[36];
		fb->blue_bits = p[37];
	} else if (fb->type == MB2_FRAMEBUFFER_INDEXED && tag->size >= 34) {
		uint16_t colors;
		memcpy(&colors, p + 32, 2);
		if (colors > MB2_PALETTE_MAX)
			colors = MB2_PALETTE_MAX;
		if (34 + colors * 3u > tag->size)
			colors = (uint16_t)((tag->size - 34) / 3);
		memcpy(fb->palette, p + 34, colors * 3u);
		fb->palette_colors = colors;
	}
	fb->present = true;
}

int mb2_parse(const void *mbi, struct boot_info *out, char *error, size_t error_size)
{
	memset(out, 0, sizeof(*out));
	out->rsdp_revision = -1;
	const uint8_t *base = mbi;
	uint32_t total = *(const uint32_t *)base;
	if (total < 16 || total > (1u << 20)) {
		ksnprintf(error, error_size, "information size %u is implausible", total);
		return -1;
	}
	out->total_size = total;
	uint32_t off = 8;
	for (;;) {
		if (off + sizeof(struct mb2_tag) > total) {
			ksnprintf(error, error_size, "no end tag within %u bytes", total);
			return -1;
		}
		const struct mb2_tag *tag = (const void *)(base + off);
		if (tag->type == MB2_TAG_END)
			return 0;
		if (tag->size < sizeof(*tag) || tag->size > total - off) {
			ksnprintf(error, error_size, "tag %u at offset %u has bad size %u",
				  tag->type, off, tag->size);
			return -1;
		}
		const char *payload = (const char *)tag + 8;
		size_t payload_size = tag->size - 8;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			copy_string(out->cmdline, sizeof(out->cmdline), payload, payload_size);
			break;
		case MB2_TAG_LOADER_NAME:
			copy_string(out->loader_name, sizeof(out->loader_name), payload,
				    payload_size);
			break;
		case MB2_TAG_MODULE: {
			if (payload_size < 8) {
				ksnprintf(error, error_size,
					  "module tag at offset %u has size %u, below 16", off,
					  tag->size);
				return -1;
			}
			out->module_count++;
			break;
		}
		case MB2_TAG_MMAP:
			if (parse_mmap(tag, out, error, error_size))
				return -1;
			break;
		case MB2_TAG_FRAMEBUFFER:
			parse_framebuffer(tag, &out->framebuffer);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW: {
			size_t n =
				payload_size < sizeof(out->rsdp) ? payload_size : sizeof(out->rsdp);
			/* Prefer the v2 RSDP when GRUB gives both. */
			if (tag->type == MB2_TAG_ACPI_NEW || out->rsdp_revision < 0) {
				memcpy(out->rsdp, payload, n);
				out->rsdp_revision = tag->type == MB2_TAG_ACPI_NEW ? 2 : 0;
			}
			break;
		}
		case MB2_TAG_EFI64:
		case MB2_TAG_EFI_MMAP:
			out->efi = true;
			break;
		default:
			break;
		}
		off += (tag->size + 7) & ~7u;
	}
}

int mb2_modules(const void *mbi, int first, struct boot_module *out, int max)
{
	const uint8_t *base = mbi;
	uint32_t total = *(const uint32_t *)base;
	int seen = 0, copied = 0;
	for (uint32_t off = 8; copied < max && off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(base + off);
		if (tag->type == MB2_TAG_END)
			break;
		if (tag->type == MB2_TAG_MODULE && seen++ >= first) {
			const char *payload = (const char *)tag + 8;
			const uint32_t *range = (const uint32_t *)payload;
			struct boot_module *m = &out[copied++];
			m->start = range[0];
			m->end = range[1];
			copy_string(m->cmdline, sizeof(m->cmdline), payload + 8, tag->size - 16);
			m->cmdline_cut = strnlen(payload + 8, tag->size - 16) >= sizeof(m->cmdline);
		}
		off += (tag->size + 7) & ~7u;
	}
	return copied;
}
