/*
 * What the Multiboot test kernels (guests/mb1, guests/mb2) share: output on the 16550 at
 * 0x3f8, parsing their own command line, and checks printed one per line as
 * "NAME: WHAT=VALUE ok" or "... BAD", NAME being the kernel's `check_name`.
 *   -- expect_mem=16M expect_path=NAME expect_mods=2 expect_mod0=NAME ...
 * 32-bit, freestanding; includes nothing of kan's.
 */
#ifndef KAN_GUESTS_LIB32_CHECK_H
#define KAN_GUESTS_LIB32_CHECK_H

#include <stdbool.h>
#include <stdint.h>

extern const char check_name[]; /* each kernel's: the prefix of its lines */

void out_char(char c);
void out_str(const char *s);
void put_hex(uint64_t v);
void put_dec(uint32_t v);
void say(const char *s); /* "NAME: " then s */
bool str_eq(const char *a, const char *b);

/* Ends the line with " ok" or " BAD"; a BAD one is counted and `what` printed. */
void check(bool good, const char *what);

/* The value of key=value in the command line's words after the first, copied into out. */
bool arg(const char *cmdline, const char *key, char *out, unsigned size);
uint64_t parse_size(const char *s); /* 16M, 640K, 1G, 123 */

/* The entry state both specifications give: EAX the magic, protected mode, paging off, IF
 * clear. */
void check_entry(uint32_t magic, uint32_t want_magic, uint32_t eflags);

/* Prints the command line and checks that its first word is expect_path; returns expect_mem. */
uint64_t check_cmdline(const char *cmdline);

/* mem_lower and mem_upper as a PC's: 639 KiB, and RAM above 1 MiB. */
void check_mem_sizes(uint32_t mem_lower, uint32_t mem_upper, uint64_t mem);

/* The memory map, entry by entry, then checked as a whole: [0, 639K) and [1M, mem) available. */
struct mmap_tally {
	uint64_t available, top;
	bool low_ok;
	uint32_t entries;
};
void tally_region(struct mmap_tally *t, uint64_t base, uint64_t length, uint32_t type);
void check_mmap(const struct mmap_tally *t, bool present, uint64_t mem);

/* The module count against expect_mods, and module i against expect_modI; the scenarios'
 * modules are ELF files, page-aligned inside RAM. */
void check_mods_count(uint32_t count, bool present, const char *cmdline);
void check_module(uint32_t i, const char *name, uint32_t start, uint32_t end, const char *cmdline,
		  uint64_t mem);

void check_loader(const char *name);

/* Prints how many checks failed; the exit status: 0 when none did, else 1. */
int check_result(void);

#endif
