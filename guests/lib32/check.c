#include "check.h"

#define EFLAGS_IF 0x200u
#define CR0_PE	  0x1u
#define CR0_PG	  0x80000000u

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

void out_char(char c)
{
	while (!(inb(0x3fd) & 0x20)) /* the transmitter is busy: kan's budget for this VM */
		;
	outb(0x3f8, (uint8_t)c);
}

void out_str(const char *s)
{
	while (*s)
		out_char(*s++);
}

void say(const char *s)
{
	out_str(check_name);
	out_str(": ");
	out_str(s);
}

void put_hex(uint64_t v)
{
	out_str("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		if (v >> shift || !shift)
			out_char("0123456789abcdef"[(v >> shift) & 0xf]);
}

void put_dec(uint32_t v)
{
	char buf[12];
	int n = 0;
	do
		buf[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		out_char(buf[--n]);
}

void check(bool good, const char *what)
{
	out_str(good ? " ok\n" : " BAD\n");
	if (!good) {
		failures++;
		say("the check above failed: ");
		out_str(what);
		out_char('\n');
	}
}

bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

bool arg(const char *cmdline, const char *key, char *out, unsigned size)
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

uint64_t parse_size(const char *s)
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

void check_entry(uint32_t magic, uint32_t want_magic, uint32_t eflags)
{
	say("eax=");
	put_hex(magic);
	check(magic == want_magic, "EAX = the boot loader's magic");
	uint32_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	say("cr0=");
	put_hex(cr0);
	out_str(" eflags=");
	put_hex(eflags);
	check((cr0 & CR0_PE) && !(cr0 & CR0_PG) && !(eflags & EFLAGS_IF),
	      "protected mode, paging off, IF clear");
}

uint64_t check_cmdline(const char *cmdline)
{
	say("cmdline='");
	out_str(cmdline);
	out_str("'");
	char want[64];
	bool has_path = arg(cmdline, "expect_path", want, sizeof(want));
	const char *p = cmdline, *w = want;
	while (has_path && *w && *p == *w)
		p++, w++;
	check(has_path && !*w && (*p == ' ' || !*p), "the first word is expect_path");
	return arg(cmdline, "expect_mem", want, sizeof(want)) ? parse_size(want) : 0;
}

void check_mem_sizes(uint32_t mem_lower, uint32_t mem_upper, uint64_t mem)
{
	say("mem_lower=");
	put_dec(mem_lower);
	out_str(" mem_upper=");
	put_dec(mem_upper);
	check(mem && mem_lower == 639 && mem_upper == (mem - 0x100000) / 1024,
	      "mem_lower = 639, mem_upper = expect_mem - 1M in KiB");
}

void tally_region(struct mmap_tally *t, uint64_t base, uint64_t length, uint32_t type)
{
	say("mmap ");
	put_hex(base);
	out_str(" +");
	put_hex(length);
	out_str(" type ");
	put_dec(type);
	out_char('\n');
	if (type == 1) {
		t->available += length;
		if (base + length > t->top)
			t->top = base + length;
		t->low_ok |= base == 0 && length == 639 * 1024;
	}
	t->entries++;
}

void check_mmap(const struct mmap_tally *t, bool present, uint64_t mem)
{
	say("mmap entries=");
	put_dec(t->entries);
	out_str(" available top=");
	put_hex(t->top);
	check(present && t->entries && t->low_ok && t->top == mem &&
		      t->available == 639 * 1024 + (mem - 0x100000),
	      "mmap: [0, 639K) and [1M, expect_mem) available");
}

void check_mods_count(uint32_t count, bool present, const char *cmdline)
{
	char want[32];
	uint32_t expected =
		arg(cmdline, "expect_mods", want, sizeof(want)) ? (uint32_t)parse_size(want) : 0;
	say("mods_count=");
	put_dec(count);
	check(present && count == expected, "mods_count = expect_mods");
}

void check_module(uint32_t i, const char *name, uint32_t start, uint32_t end, const char *cmdline,
		  uint64_t mem)
{
	char want[32];
	char key[] = "expect_modN";
	key[10] = (char)('0' + i);
	bool named = arg(cmdline, key, want, sizeof(want)) && str_eq(name, want);
	say("module ");
	put_dec(i);
	out_str(" '");
	out_str(name);
	out_str("' at ");
	put_hex(start);
	out_str("-");
	put_hex(end);
	check(named, "module string = expect_modN");
	/* The data modules of the scenarios are ELF files: their first bytes say so. */
	const uint8_t *data = (const uint8_t *)(uintptr_t)start;
	say("module ");
	put_dec(i);
	out_str(" is page-aligned, inside RAM, and starts with ELF's magic");
	check(!(start & 0xfff) && end > start + 4 && end <= mem && data[0] == 0x7f &&
		      data[1] == 'E' && data[2] == 'L' && data[3] == 'F',
	      "module placement and contents");
}

void check_loader(const char *name)
{
	say("boot_loader_name='");
	out_str(name);
	out_str("'");
	check(str_eq(name, "kan"), "boot_loader_name = kan");
}

int check_result(void)
{
	say("");
	put_dec(failures);
	out_str(failures ? " checks failed: exit 1\n" : " checks failed: exit 0\n");
	return failures ? 1 : 0;
}
