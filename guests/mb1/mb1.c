/*
 * A Multiboot 1 test kernel (issue 16). It checks the information structure against what its
 * command line says to expect, prints each field with "ok" or "BAD" (guests/lib32/check.h),
 * and returns the exit status start.asm writes to port 0xf4: 0 when every check held, 1
 * otherwise.
 *   -- expect_mem=16M expect_path=/boot/guests/mb1.elf expect_mods=2 expect_mod0=NAME ...
 * Written from the Multiboot Specification 0.6.96 alone: it includes nothing of kan's.
 */
#include "../lib32/check.h"

#define BOOTLOADER_MAGIC 0x2badb002u
#define INFO_MEMORY	 0x001u
#define INFO_CMDLINE	 0x004u
#define INFO_MODS	 0x008u
#define INFO_MMAP	 0x040u
#define INFO_LOADER	 0x200u

const char check_name[] = "mb1";

struct info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

struct module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

int mb1_main(uint32_t magic, uint32_t info_addr, uint32_t eflags)
{
	const struct info *mb = (const struct info *)(uintptr_t)info_addr;
	say("a Multiboot 1 kernel, entered\n");
	check_entry(magic, BOOTLOADER_MAGIC, eflags);
	say("flags=");
	put_hex(mb->flags);
	check((mb->flags & (INFO_MEMORY | INFO_CMDLINE | INFO_LOADER)) ==
		      (INFO_MEMORY | INFO_CMDLINE | INFO_LOADER),
	      "flags name memory, cmdline and loader");

	const char *cmdline = (const char *)(uintptr_t)mb->cmdline;
	uint64_t mem = check_cmdline(cmdline);
	check_mem_sizes(mb->mem_lower, mb->mem_upper, mem);

	struct mmap_tally tally = { 0 };
	for (uint32_t at = mb->mmap_addr; at < mb->mmap_addr + mb->mmap_length;) {
		const struct mmap_entry *e = (const struct mmap_entry *)(uintptr_t)at;
		tally_region(&tally, e->base_addr, e->length, e->type);
		at += e->size + 4;
	}
	check_mmap(&tally, mb->flags & INFO_MMAP, mem);

	check_mods_count(mb->mods_count, mb->flags & INFO_MODS, cmdline);
	const struct module *mods = (const struct module *)(uintptr_t)mb->mods_addr;
	for (uint32_t i = 0; i < mb->mods_count && i < 10; i++)
		check_module(i, (const char *)(uintptr_t)mods[i].string, mods[i].mod_start,
			     mods[i].mod_end, cmdline, mem);

	check_loader((const char *)(uintptr_t)mb->boot_loader_name);
	return check_result();
}
