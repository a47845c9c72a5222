/*
 * AMD's hypercall instruction on Intel (tests/scenarios/test_hypercall_vendor.py): VMMCALL
 * raises #UD under VT-x, and kan must answer it as a hypercall, just as VMCALL, while every
 * other #UD still reaches the guest. Makes hypercalls with VMMCALL (version, console write,
 * and its exit), one from code kan can find only through the guest's own page tables (it
 * straddles two pages mapped in reverse order at 512 GiB), and checks that UD2 and a
 * LOCK-prefixed VMMCALL raise #UD here. Ends through VMMCALL with the number of wrong
 * answers as its status.
 */
#include "guest.h"

#define PTE_PRESENT  1ull
#define PTE_WRITABLE 2ull
#define ALIAS_LINEAR 0x8000000000ull /* PML4 entry 1: nothing else maps it */

/* The remapped code's two pages, in reverse order; and the tables that map them. */
static uint8_t code_pages[2][4096] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));

static unsigned wrong;

static void verdict(const char *what, int ok)
{
	guest_printf("vmmcall: %s: %s\n", what, ok ? "ok" : "WRONG");
	wrong += !ok;
}

/* A hypercall through VMMCALL; *vector is the exception it raised, or GUEST_NO_TRAP. */
static int64_t vmmcall(uint64_t nr, uint64_t a0, uint64_t a1, int *vector)
{
	int64_t ret = 0;
	*vector = GUEST_TRY_ASM("vmmcall", : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "memory");
	return ret;
}

/* Maps ALIAS_LINEAR to code_pages[1] and the page after it to code_pages[0], and writes
 * VMMCALL; RET across the boundary: 0f at the end of the first page, 01 d9 c3 at the start
 * of the second. Identity-mapped addresses are guest-physical (kan_guest.h, MEMORY). */
static uint64_t map_split_vmmcall(void)
{
	uint64_t *pml4 = (uint64_t *)(guest_read_cr3() & ~0xfffull);
	pt[0] = (uint64_t)code_pages[1] | PTE_PRESENT | PTE_WRITABLE;
	pt[1] = (uint64_t)code_pages[0] | PTE_PRESENT | PTE_WRITABLE;
	pd[0] = (uint64_t)pt | PTE_PRESENT | PTE_WRITABLE;
	pdpt[0] = (uint64_t)pd | PTE_PRESENT | PTE_WRITABLE;
	pml4[ALIAS_LINEAR >> 39] = (uint64_t)pdpt | PTE_PRESENT | PTE_WRITABLE;
	code_pages[1][4095] = 0x0f;
	code_pages[0][0] = 0x01;
	code_pages[0][1] = 0xd9;
	code_pages[0][2] = 0xc3;
	return ALIAS_LINEAR + 4095;
}

static int64_t call_split_vmmcall(uint64_t linear, uint64_t nr)
{
	int64_t ret;
	__asm__ volatile("call *%1" : "=a"(ret) : "r"(linear), "a"(nr), "D"(0), "S"(0) : "memory");
	return ret;
}

int64_t guest_main(const struct kan_start_info *info)
{
	(void)info;
	guest_trap_install();
	int vector;

	int64_t version = vmmcall(KAN_HC_VERSION, 0, 0, &vector);
	guest_printf("vmmcall: KAN_HC_VERSION through VMMCALL: %ld (%s)\n", version,
		     guest_vector_name(vector));
	verdict("VMMCALL is a hypercall", vector == GUEST_NO_TRAP && version == KAN_ABI_VERSION);

	static const char line[] =
		"vmmcall: this line came through KAN_HC_CONSOLE_WRITE by VMMCALL\n";
	int64_t taken = vmmcall(KAN_HC_CONSOLE_WRITE, (uint64_t)line, sizeof(line) - 1, &vector);
	verdict("console write through VMMCALL",
		vector == GUEST_NO_TRAP && taken == (int64_t)sizeof(line) - 1);

	/* kan must find the bytes through the page tables: the guest-physical byte after the
	 * first page's 0f is no 01 (it is the page table pdpt), and 512 GiB is no RAM. */
	uint64_t linear = map_split_vmmcall();
	version = call_split_vmmcall(linear, KAN_HC_VERSION);
	verdict("VMMCALL across two pages mapped apart", version == KAN_ABI_VERSION);

	vector = GUEST_TRY_ASM("ud2", : : : "memory");
	guest_printf("vmmcall: ud2: %s\n", guest_vector_name(vector));
	verdict("UD2 raises #UD", vector == GUEST_VECTOR_UD);
	vector = GUEST_TRY_ASM(".byte 0xf0, 0x0f, 0x01, 0xd9", : "+a"(version) : : "memory");
	guest_printf("vmmcall: lock vmmcall: %s\n", guest_vector_name(vector));
	verdict("LOCK VMMCALL raises #UD", vector == GUEST_VECTOR_UD);

	guest_printf("vmmcall: done: 4 VMMCALLs and 2 #UD, %lu #UD seen, %u wrong\n",
		     guest_trap_counts[GUEST_VECTOR_UD], wrong);
	vmmcall(KAN_HC_EXIT, wrong, 0, &vector);
	guest_printf("vmmcall: WRONG: the exit through VMMCALL returned (%s)\n",
		     guest_vector_name(vector));
	return 100;
}
