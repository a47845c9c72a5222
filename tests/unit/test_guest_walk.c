/* guest_linear_to_phys and guest_read_linear (kernel/guest_walk.c): every paging mode kan
 * walks, large pages, not-present entries at each level, and reads that cross a page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/guest_walk.h"

#define CR0_PG	 (1ull << 31)
#define CR4_PSE	 (1ull << 4)
#define CR4_PAE	 (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define P	 1ull	     /* present */
#define PS	 (1ull << 7) /* large page */
#define NX	 (1ull << 63)

/* The guest's RAM: 64 KiB at guest-physical 0; reads beyond it fail. */
#define RAM_SIZE 0x10000
static uint8_t ram[RAM_SIZE];

static bool read_ram(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	(void)ctx;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, ram + gpa, len);
	return true;
}

static const struct guest_memory mem = { .read = read_ram };

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static int clear_ram(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	return 0;
}

/* The translation of `linear`, or ~0 when the walk refuses. */
static uint64_t walk(const struct guest_paging *p, uint64_t linear)
{
	uint64_t gpa;
	return guest_linear_to_phys(p, &mem, linear, &gpa) ? gpa : ~0ull;
}

static void without_paging_linear_is_physical(void **state)
{
	(void)state;
	struct guest_paging p = { .cr0 = 1 /* PE only */, .cr3 = 0x1000 };
	assert_int_equal(walk(&p, 0x12345), 0x12345);
	assert_int_equal(walk(&p, 0xfffff), 0xfffff);
	assert_int_equal(walk(&p, 0x1ffffffffull), 0xffffffffull); /* 32-bit addresses */
}

static void paging_32bit_4k_pages(void **state)
{
	(void)state;
	struct guest_paging p = { .cr0 = CR0_PG | 1, .cr3 = 0x1000 };
	put32(0x1000 + 1 * 4, 0x2000 | P);     /* PDE 1: linear 4-8 MiB */
	put32(0x2000 + 3 * 4, 0x5000 | P | 6); /* PTE 3 (user, writable: ignored) */
	assert_int_equal(walk(&p, 0x403abc), 0x5abc);
	assert_int_equal(walk(&p, 0x404abc), ~0ull); /* PTE 4 not present */
	assert_int_equal(walk(&p, 0x803abc), ~0ull); /* PDE 2 not present */
}

static void paging_32bit_4m_pages_need_cr4_pse(void **state)
{
	(void)state;
	struct guest_paging p = { .cr0 = CR0_PG | 1, .cr3 = 0x1000, .cr4 = CR4_PSE };
	/* PDE 2 maps 4 MiB at 0x1_c0400000 - bits 39:32 of the address in PDE bits 20:13. */
	put32(0x1000 + 2 * 4, 0xc0400000u | (1u << 13) | PS | P);
	assert_int_equal(walk(&p, 0x812345), 0x1c0412345ull);
	/* Without CR4.PSE the PS bit means nothing: the PDE points at a page table. */
	put32(0x1000 + 2 * 4, 0x3000 | PS | P);
	put32(0x3000 + 0x12 * 4, 0x7000 | P);
	p.cr4 = 0;
	assert_int_equal(walk(&p, 0x812345), 0x7345);
}

static void paging_pae(void **state)
{
	(void)state;
	/* CR3 need only be 32-byte aligned in PAE paging. */
	struct guest_paging p = { .cr0 = CR0_PG | 1, .cr3 = 0x1020, .cr4 = CR4_PAE };
	put64(0x1020 + 2 * 8, 0x3000 | P);	/* PDPTE 2: linear 2-3 GiB */
	put64(0x3000 + 5 * 8, 0x4000 | P);	/* PDE 5 */
	put64(0x4000 + 7 * 8, 0x9000 | P | NX); /* PTE 7 */
	assert_int_equal(walk(&p, 0x80a07123ull), 0x9123);
	/* A 2 MiB page, whatever CR4.PSE says; bit 12 of the PDE is PAT, not address. */
	put64(0x3000 + 6 * 8, 0x12345600000ull | (1u << 12) | PS | P);
	assert_int_equal(walk(&p, 0x80cabcdeull), 0x123456abcdeull);
	assert_int_equal(walk(&p, 0x40a07123ull), ~0ull); /* PDPTE 1 not present */
	assert_int_equal(walk(&p, 0x80e07123ull), ~0ull); /* PDE 7 not present */
	assert_int_equal(walk(&p, 0x80a08123ull), ~0ull); /* PTE 8 not present */
}

/* PML4 at 0x1000; PML4E 0 -> PDPT 0x2000; PML4E 256 (0xffff8000_00000000) -> PDPT 0x3000. */
static struct guest_paging four_level(void)
{
	put64(0x1000 + 0 * 8, 0x2000 | P);
	put64(0x1000 + 256 * 8, 0x3000 | P);
	return (struct guest_paging){
		.cr0 = CR0_PG | 1, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LMA | (1u << 8)
	};
}

static void paging_4level_every_page_size(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	put64(0x2000 + 1 * 8, 0x40000000ull * 5 | PS | P);	  /* 1 GiB at 5 GiB */
	put64(0x2000 + 0 * 8, 0x4000 | P);			  /* PD */
	put64(0x4000 + 3 * 8, 0xa00000ull | (1u << 12) | PS | P); /* 2 MiB, PAT bit set */
	put64(0x4000 + 4 * 8, 0x5000 | P);			  /* PT */
	put64(0x5000 + 9 * 8, 0xb000 | P | NX);
	assert_int_equal(walk(&p, 0x654321ull), 0xa54321ull);
	assert_int_equal(walk(&p, 0x809abcull), 0xbabcull);
	assert_int_equal(walk(&p, 0x56789abcull), 0x156789abcull);
	/* The upper half, and CR3 with a PCID in its low bits. */
	put64(0x3000 + 511 * 8, 0x6000 | P);
	put64(0x6000 + 511 * 8, 0xc00000ull | PS | P);
	p.cr3 |= 0x5;
	assert_int_equal(walk(&p, 0xffff807fffe01234ull), 0xc01234ull);
}

static void paging_4level_not_present_at_each_level(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	put64(0x2000 + 0 * 8, 0x4000 | P);
	put64(0x4000 + 0 * 8, 0x5000 | P);
	put64(0x5000 + 0 * 8, 0x8000 | P);
	assert_int_equal(walk(&p, 0x123), 0x8123);
	assert_int_equal(walk(&p, 0x1000), ~0ull);	    /* PTE */
	assert_int_equal(walk(&p, 0x200000), ~0ull);	    /* PDE */
	assert_int_equal(walk(&p, 0x40000000), ~0ull);	    /* PDPTE */
	assert_int_equal(walk(&p, 0x8000000000ull), ~0ull); /* PML4E */
	/* An entry that points outside the VM's RAM is as good as absent. */
	put64(0x5000 + 1 * 8, 0x8000 | P);
	put64(0x4000 + 1 * 8, 0x100000 | P);
	assert_int_equal(walk(&p, 0x200000), ~0ull);
	/* The present bit alone decides: a frame with only other bits set is absent. */
	put64(0x5000 + 2 * 8, 0x8000 | 6);
	assert_int_equal(walk(&p, 0x2000), ~0ull);
}

static void paging_4level_refuses_noncanonical_and_la57(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	put64(0x2000, 0 | PS | P); /* 1 GiB at 0 */
	assert_int_equal(walk(&p, 0x1234), 0x1234);
	assert_int_equal(walk(&p, 0x0000800000001234ull), ~0ull);
	p.cr4 |= CR4_LA57;
	assert_int_equal(walk(&p, 0x1234), ~0ull);
}

static void a_read_crosses_into_a_page_elsewhere(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	put64(0x2000, 0x4000 | P);
	put64(0x4000, 0x5000 | P);
	put64(0x5000 + 0x10 * 8, 0xe000 | P); /* linear 0x10000 -> 0xe000 */
	put64(0x5000 + 0x11 * 8, 0x9000 | P); /* linear 0x11000 -> 0x9000 */
	memcpy(ram + 0xeffa, "\xf3\x48\x0f\x22\xe0\x90", 6);
	memcpy(ram + 0x9000, "abcdefghi", 9);
	uint8_t buf[15];
	assert_int_equal(guest_read_linear(&p, &mem, 0x10ffa, buf, 15), 15);
	assert_memory_equal(buf,
			    "\xf3\x48\x0f\x22\xe0\x90"
			    "abcdefghi",
			    15);
	/* The next page absent: what the first page holds is still read. */
	put64(0x5000 + 0x11 * 8, 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(guest_read_linear(&p, &mem, 0x10ffa, buf, 15), 6);
	assert_memory_equal(buf, "\xf3\x48\x0f\x22\xe0\x90", 6);
	assert_int_equal(guest_read_linear(&p, &mem, 0x11000, buf, 15), 0);
}

static void a_32bit_read_wraps_at_4g(void **state)
{
	(void)state;
	struct guest_paging p = { .cr0 = CR0_PG | 1, .cr3 = 0x1000 };
	put32(0x1000 + 1023 * 4, 0x2000 | P);
	put32(0x2000 + 1023 * 4, 0x6000 | P); /* linear 0xfffff000 */
	put32(0x1000 + 0 * 4, 0x3000 | P);
	put32(0x3000 + 0 * 4, 0x7000 | P); /* linear 0 */
	memcpy(ram + 0x6ffe, "\x0f\x01", 2);
	memcpy(ram + 0x7000, "\xd9", 1);
	uint8_t buf[3];
	assert_int_equal(guest_read_linear(&p, &mem, 0xfffffffe, buf, 3), 3);
	assert_memory_equal(buf, "\x0f\x01\xd9", 3);
}

static void code_addresses(void **state)
{
	(void)state;
	struct guest_paging real = { 0 }, lm = { .efer = EFER_LMA };
	assert_int_equal(guest_code_linear(&real, 0xf0000, 0xfff0, false), 0xffff0);
	assert_int_equal(guest_code_linear(&real, 0xffff0000, 0x10010, false), 0x10);
	/* 64-bit code ignores CS's base; compatibility mode does not, and stays 32-bit. */
	assert_int_equal(guest_code_linear(&lm, 0x1000, 0xffff800000001000ull, true),
			 0xffff800000001000ull);
	assert_int_equal(guest_code_linear(&lm, 0x1000, 0x2000, false), 0x3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(without_paging_linear_is_physical, clear_ram),
		cmocka_unit_test_setup(paging_32bit_4k_pages, clear_ram),
		cmocka_unit_test_setup(paging_32bit_4m_pages_need_cr4_pse, clear_ram),
		cmocka_unit_test_setup(paging_pae, clear_ram),
		cmocka_unit_test_setup(paging_4level_every_page_size, clear_ram),
		cmocka_unit_test_setup(paging_4level_not_present_at_each_level, clear_ram),
		cmocka_unit_test_setup(paging_4level_refuses_noncanonical_and_la57, clear_ram),
		cmocka_unit_test_setup(a_read_crosses_into_a_page_elsewhere, clear_ram),
		cmocka_unit_test_setup(a_32bit_read_wraps_at_4g, clear_ram),
		cmocka_unit_test_setup(code_addresses, clear_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
