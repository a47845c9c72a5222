/*
 * A Multiboot2 test kernel (issue 16). It walks the boot information's tags, checks each
 * against what its command line says to expect, prints each with "ok" or "BAD"
 * (guests/lib32/check.h), and returns the exit status start.asm writes to port 0xf4: 0 when
 * every check held, 1 otherwise.
 *   -- expect_mem=16M expect_path=NAME expect_mods=2 expect_mod0=NAME ... [expect_acpi=1]
 * Written from the Multiboot2 Specification 2.0 alone: it includes nothing of kan's.
 */
#include "../lib32/check.h"

#define BOOTLOADER_MAGIC 0x36d76289u
#define TAG_END		 0
#define TAG_CMDLINE	 1
#define TAG_LOADER	 2
#define TAG_MODULE	 3
#define TAG_MEMINFO	 4
#define TAG_MMAP	 6
#define TAG_ACPI_OLD	 14
#define TAG_ACPI_NEW	 15
#define MODULES_MAX	 10

const char check_name[] = "mb2";

struct tag {
	uint32_t type, size;
};

struct module_tag {
	struct tag tag;
	uint32_t mod_start, mod_end;
	char string[];
};

struct meminfo_tag {
	struct tag tag;
	uint32_t mem_lower, mem_upper;
};

struct mmap_tag {
	struct tag tag;
	uint32_t entry_size, entry_version;
};

struct mmap_entry {
	uint64_t base_addr, length;
	uint32_t type, reserved;
};

/* What the walk over the tags found. */
struct found {
	const char *cmdline, *loader;
	const struct meminfo_tag *meminfo;
	const struct mmap_tag *mmap;
	const struct module_tag *modules[MODULES_MAX];
	uint32_t module_count, acpi, others, tags;
	bool aligned, ended;
};

static void walk(uint32_t info_addr, struct found *f)
{
	const uint32_t *head = (const uint32_t *)(uintptr_t)info_addr;
	uint32_t total = head[0];
	f->aligned = !(info_addr & 7) && head[1] == 0; /* reserved is zero */
	for (uint32_t at = info_addr + 8; at + 8 <= info_addr + total;) {
		const struct tag *t = (const struct tag *)(uintptr_t)at;
		f->aligned &= !(at & 7);
		f->tags++;
		if (t->type == TAG_END) {
			f->ended = t->size == 8 && at + 8 == info_addr + total;
			return;
		}
		if (t->type == TAG_CMDLINE)
			f->cmdline = (const char *)(t + 1);
		else if (t->type == TAG_LOADER)
			f->loader = (const char *)(t + 1);
		else if (t->type == TAG_MEMINFO)
			f->meminfo = (const struct meminfo_tag *)t;
		else if (t->type == TAG_MMAP)
			f->mmap = (const struct mmap_tag *)t;
		else if (t->type == TAG_MODULE && f->module_count < MODULES_MAX)
			f->modules[f->module_count++] = (const struct module_tag *)t;
		else if (t->type == TAG_ACPI_OLD || t->type == TAG_ACPI_NEW)
			f->acpi++;
		else
			f->others++;
		at += (t->size + 7) & ~7u;
	}
}

int mb2_main(uint32_t magic, uint32_t info_addr, uint32_t eflags)
{
	say("a Multiboot2 kernel, entered\n");
	check_entry(magic, BOOTLOADER_MAGIC, eflags);
	struct found f = { 0 };
	walk(info_addr, &f);
	say("info at ");
	put_hex(info_addr);
	out_str(" tags=");
	put_dec(f.tags);
	check(f.aligned && f.ended, "tags 8-byte aligned, the end tag last at total_size");

	const char *cmdline = f.cmdline ? f.cmdline : "";
	uint64_t mem = check_cmdline(cmdline);
	check_mem_sizes(f.meminfo ? f.meminfo->mem_lower : 0, f.meminfo ? f.meminfo->mem_upper : 0,
			mem);

	struct mmap_tally tally = { 0 };
	if (f.mmap) {
		say("mmap entry_size=");
		put_dec(f.mmap->entry_size);
		out_str(" entry_version=");
		put_dec(f.mmap->entry_version);
		check(f.mmap->entry_size == 24 && f.mmap->entry_version == 0,
		      "mmap entries of 24 bytes, version 0");
		uint32_t start = (uint32_t)(uintptr_t)(f.mmap + 1);
		uint32_t end = (uint32_t)(uintptr_t)f.mmap + f.mmap->tag.size;
		for (uint32_t at = start; at + sizeof(struct mmap_entry) <= end;
		     at += f.mmap->entry_size) {
			const struct mmap_entry *e = (const struct mmap_entry *)(uintptr_t)at;
			tally_region(&tally, e->base_addr, e->length, e->type);
			if (!f.mmap->entry_size)
				break;
		}
	}
	check_mmap(&tally, f.mmap, mem);

	check_mods_count(f.module_count, true, cmdline);
	for (uint32_t i = 0; i < f.module_count; i++)
		check_module(i, f.modules[i]->string, f.modules[i]->mod_start,
			     f.modules[i]->mod_end, cmdline, mem);

	check_loader(f.loader ? f.loader : "");

	char want[8];
	uint32_t acpi =
		arg(cmdline, "expect_acpi", want, sizeof(want)) ? (uint32_t)parse_size(want) : 0;
	say("acpi rsdp tags=");
	put_dec(f.acpi);
	out_str(" other tags=");
	put_dec(f.others);
	check(f.acpi == acpi && !f.others, "an RSDP tag as expect_acpi says, no other tags");
	return check_result();
}
