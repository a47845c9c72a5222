/*
 * A Multiboot 1 test kernel (issue 16). It checks the information structure against what its
 * command line says to expect, prints each field with "ok" or "BAD", and returns the exit
 * status start.asm writes to port 0xf4: 0 when every check held, 1 otherwise.
 *   -- expect_mem=16M expect_path=/boot/guests/mb1.elf expect_mods=2 expect_mod0=NAME ...
 * Written from the Multiboot Specification 0.6.96 alone: it includes nothing of kan's.
 */
#include <stdbool.h>
#include <stdint.h>

#define BOOTLOADER_MAGIC 0x2badb002u
#define INFO_MEMORY	 0x001u
#define INFO_CMDLINE	 0x004u
#define INFO_MODS	 0x008u
#define INFO_MMAP	 0x040u
#define INFO_LOADER	 0x200u
#define EFLAGS_IF	 0x200u
#define CR0_PE		 0x1u
#define CR0_PG		 0x80000000u

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

static unsigned failures;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void out_char(char c)
{
	while (!(inb(0x3fd) & 0x20)) /* the transmitter is busy: kan's budget for this VM */
		;
	outb(0x3f8, (uint8_t)c);
}

static void out_str(const char *s)
{
	while (*s)
		out_char(*s++);
}

static void put_hex(uint64_t v)
{
	out_str("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		if (v >> shift || !shift)
			out_char("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void put_dec(uint32_t v)
{
	char buf[12];
	int n = 0;
	do
		buf[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		out_char(buf[--n]);
}

/* One line per check: "mb1: WHAT=VALUE ok" or "... BAD (expected ...)". */
static void check(bool good, const char *what)
{
	out_str(good ? " ok\n" : " BAD\n");
	if (!good) {
		failures++;
		out_str("mb1: the check above failed: ");
		out_str(what);
		out_char('\n');
	}
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The value of key=value in the command line's words after the first, copied into out. */
static bool arg(const char *cmdline, const char *key, char *out, unsigned size)
{
	const char *p = cmdline;
	while (*p && *p != ' ')
		p++; /* the image path */
	while (*p) {
		while (*p == ' ')
			p++;
		const char *k = key;
		while (*k && *p == *k)
			p++, k++;
		if (!*k && *p == '=') {
			unsigned n = 0;
			for (p++; *p && *p != ' ' && n + 1 < size; p++)
				out[n++] = *p;
			out[n] = '\0';
			return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

static uint64_t parse_size(const char *s)
{
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (*s == 'K')
		v <<= 10;
	else if (*s == 'M')
		v <<= 20;
	else if (*s == 'G')
		v <<= 30;
	return v;
}

static void check_modules(const struct info *mb, const char *cmdline, uint64_t mem)
{
	char want[32];
	uint32_t expected =
		arg(cmdline, "expect_mods", want, sizeof(want)) ? (uint32_t)parse_size(want) : 0;
	out_str("mb1: mods_count=");
	put_dec(mb->mods_count);
	check((mb->flags & INFO_MODS) && mb->mods_count == expected, "mods_count = expect_mods");
	const struct module *mods = (const struct module *)(uintptr_t)mb->mods_addr;
	for (uint32_t i = 0; i < mb->mods_count && i < 10; i++) {
		const struct module *m = &mods[i];
		const char *name = (const char *)(uintptr_t)m->string;
		char key[] = "expect_modN";
		key[10] = (char)('0' + i);
		bool named = arg(cmdline, key, want, sizeof(want)) && str_eq(name, want);
		out_str("mb1: module ");
		put_dec(i);
		out_str(" '");
		out_str(name);
		out_str("' at ");
		put_hex(m->mod_start);
		out_str("-");
		put_hex(m->mod_end);
		check(named, "module string = expect_modN");
		/* The data modules of the scenario are ELF files: their first bytes say so. */
		const uint8_t *data = (const uint8_t *)(uintptr_t)m->mod_start;
		out_str("mb1: module ");
		put_dec(i);
		out_str(" is page-aligned, inside RAM, and starts with ELF's magic");
		check(!(m->mod_start & 0xfff) && m->mod_end > m->mod_start + 4 &&
			      m->mod_end <= mem && data[0] == 0x7f && data[1] == 'E' &&
			      data[2] == 'L' && data[3] == 'F',
		      "module placement and contents");
	}
}

static void check_mmap(const struct info *mb, uint64_t mem)
{
	uint64_t available = 0, top = 0;
	bool low_ok = false;
	uint32_t entries = 0;
	for (uint32_t at = mb->mmap_addr; at < mb->mmap_addr + mb->mmap_length;) {
		const struct mmap_entry *e = (const struct mmap_entry *)(uintptr_t)at;
		out_str("mb1: mmap ");
		put_hex(e->base_addr);
		out_str(" +");
		put_hex(e->length);
		out_str(" type ");
		put_dec(e->type);
		out_char('\n');
		if (e->type == 1) {
			available += e->length;
			if (e->base_addr + e->length > top)
				top = e->base_addr + e->length;
			low_ok |= e->base_addr == 0 && e->length == 639 * 1024;
		}
		entries++;
		at += e->size + 4;
	}
	out_str("mb1: mmap entries=");
	put_dec(entries);
	out_str(" available top=");
	put_hex(top);
	check((mb->flags & INFO_MMAP) && entries && low_ok && top == mem &&
		      available == 639 * 1024 + (mem - 0x100000),
	      "mmap: [0, 639K) and [1M, expect_mem) available");
}

int mb1_main(uint32_t magic, uint32_t info_addr, uint32_t eflags)
{
	const struct info *mb = (const struct info *)(uintptr_t)info_addr;
	out_str("mb1: a Multiboot 1 kernel, entered\n");
	out_str("mb1: eax=");
	put_hex(magic);
	check(magic == BOOTLOADER_MAGIC, "EAX = 0x2badb002");
	uint32_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	out_str("mb1: cr0=");
	put_hex(cr0);
	out_str(" eflags=");
	put_hex(eflags);
	check((cr0 & CR0_PE) && !(cr0 & CR0_PG) && !(eflags & EFLAGS_IF),
	      "protected mode, paging off, IF clear");
	out_str("mb1: flags=");
	put_hex(mb->flags);
	check((mb->flags & (INFO_MEMORY | INFO_CMDLINE | INFO_LOADER)) ==
		      (INFO_MEMORY | INFO_CMDLINE | INFO_LOADER),
	      "flags name memory, cmdline and loader");

	const char *cmdline = (const char *)(uintptr_t)mb->cmdline;
	out_str("mb1: cmdline='");
	out_str(cmdline);
	out_str("'");
	char want[64];
	bool has_path = arg(cmdline, "expect_path", want, sizeof(want));
	const char *p = cmdline, *w = want;
	while (has_path && *w && *p == *w)
		p++, w++;
	check(has_path && !*w && (*p == ' ' || !*p), "the first word is expect_path");

	uint64_t mem = arg(cmdline, "expect_mem", want, sizeof(want)) ? parse_size(want) : 0;
	out_str("mb1: mem_lower=");
	put_dec(mb->mem_lower);
	out_str(" mem_upper=");
	put_dec(mb->mem_upper);
	check(mem && mb->mem_lower == 639 && mb->mem_upper == (mem - 0x100000) / 1024,
	      "mem_lower = 639, mem_upper = expect_mem - 1M in KiB");

	check_mmap(mb, mem);
	check_modules(mb, cmdline, mem);

	const char *loader = (const char *)(uintptr_t)mb->boot_loader_name;
	out_str("mb1: boot_loader_name='");
	out_str(loader);
	out_str("'");
	check(str_eq(loader, "kan"), "boot_loader_name = kan");

	out_str("mb1: ");
	put_dec(failures);
	out_str(failures ? " checks failed: exit 1\n" : " checks failed: exit 0\n");
	return failures ? 1 : 0;
}
