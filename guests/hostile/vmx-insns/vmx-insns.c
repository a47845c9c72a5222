/*
 * Hostile: tries to become a hypervisor under kan, or to reach kan's VMCS or VMCB: VMXON,
 * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMXOFF, INVEPT, INVVPID,
 * VMFUNC, the AMD-V instructions VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT and INVLPGA, plus
 * MONITOR, MWAIT and GETSEC. Each must raise #UD, on either vendor: the guest's CPUID offers
 * neither VMX nor SVM, and its EFER.SVME stays 0. XSETBV must raise #UD while CR4.OSXSAVE
 * is off; once it is on (if CPUID offers XSAVE), kan emulates it: XCR0 values the CPU would
 * refuse (no x87, AVX without SSE, PKRU or anything kan does not offer, ECX != 0) raise #GP
 * and a valid one is what XGETBV then reads. RDPMC must raise #GP; the debug registers are the VM's
 * own storage (a DR7 value with bits 63:32 set raises #GP, as on hardware); INVD and WBINVD must do
 * nothing (memory written before INVD stays written). With "-- ms=N" it repeats the round,
 * quietly, for N ms. Ends with status 0 if all held.
 */
#include "guest.h"

#define CR4_OSXSAVE	 (1ull << 18)
#define CPUID1_ECX_XSAVE (1u << 26)

static uint8_t region[4096] __attribute__((aligned(4096)));
static volatile uint64_t invd_canary;

struct tally {
	uint64_t ud_attempts, ud, gp_attempts, gp, wrong;
};

static void check(struct tally *t, const char *insn, int vector, int expected, int verbose)
{
	if (expected == GUEST_VECTOR_UD) {
		t->ud_attempts++;
		t->ud += vector == GUEST_VECTOR_UD;
	} else if (expected == GUEST_VECTOR_GP) {
		t->gp_attempts++;
		t->gp += vector == GUEST_VECTOR_GP;
	}
	int ok = vector == expected;
	t->wrong += !ok;
	static unsigned wrong_shown;
	if (!ok && wrong_shown++ < 12) /* the quiet rounds repeat every wrong answer */
		guest_printf("vmx-insns: %s: %s (WRONG: expected %s)\n", insn,
			     guest_vector_name(vector), guest_vector_name(expected));
	else if (verbose)
		guest_printf("vmx-insns: %s: %s\n", insn, guest_vector_name(vector));
}

static int xsetbv(uint32_t index, uint64_t value)
{
	return GUEST_TRY_ASM("xsetbv",
			     :
			     : "a"((uint32_t)value), "c"(index), "d"((uint32_t)(value >> 32))
			     : "memory");
}

static void xsetbv_round(struct tally *t, int osxsave, int verbose)
{
	if (!osxsave) {
		check(t, "XSETBV XCR0=7", xsetbv(0, 7), GUEST_VECTOR_UD, verbose);
		return;
	}
	check(t, "XSETBV XCR0=0 (no x87)", xsetbv(0, 0), GUEST_VECTOR_GP, verbose);
	check(t, "XSETBV XCR0=5 (AVX without SSE)", xsetbv(0, 5), GUEST_VECTOR_GP, verbose);
	check(t, "XSETBV XCR0=0x203 (PKRU)", xsetbv(0, 0x203), GUEST_VECTOR_GP, verbose);
	check(t, "XSETBV XCR0 bit 63", xsetbv(0, 3 | (1ull << 63)), GUEST_VECTOR_GP, verbose);
	check(t, "XSETBV XCR1", xsetbv(1, 3), GUEST_VECTOR_GP, verbose);
	check(t, "XSETBV XCR0=3", xsetbv(0, 3), GUEST_NO_TRAP, verbose);
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if (lo != 3 || hi != 0) {
		t->wrong++;
		guest_printf("vmx-insns: WRONG: XGETBV reads 0x%x after XSETBV 3\n", lo);
	}
}

/* AMD-V's instructions: VMRUN, VMLOAD and VMSAVE take a VMCB's address in RAX, SKINIT a
 * secure loader's in EAX, INVLPGA an address and an ASID. */
static void svm_round(struct tally *t, uint64_t pa, int verbose)
{
	check(t, "VMRUN [region]",
	      GUEST_TRY_ASM("vmrun",
			    :
			    : "a"(pa)
			    : "memory", "cc"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMLOAD [region]",
	      GUEST_TRY_ASM("vmload",
			    :
			    : "a"(pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMSAVE [region]",
	      GUEST_TRY_ASM("vmsave",
			    :
			    : "a"(pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "STGI", GUEST_TRY_ASM("stgi", : : : "memory"), GUEST_VECTOR_UD, verbose);
	check(t, "CLGI", GUEST_TRY_ASM("clgi", : : : "memory"), GUEST_VECTOR_UD, verbose);
	check(t, "SKINIT [region]",
	      GUEST_TRY_ASM("skinit",
			    :
			    : "a"((uint32_t)pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "INVLPGA [region], ASID 1",
	      GUEST_TRY_ASM("invlpga",
			    :
			    : "a"(pa), "c"(1)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
}

static void attack_round(struct tally *t, int osxsave, int verbose)
{
	uint64_t pa = (uint64_t)region, value = 0, field = 0x681e; /* GUEST_RIP */
	struct {
		uint64_t eptp_or_vpid, address;
	} descriptor = { pa, 0 };
	check(t, "VMXON [region]",
	      GUEST_TRY_ASM("vmxon %0",
			    :
			    : "m"(pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMCLEAR [region]",
	      GUEST_TRY_ASM("vmclear %0",
			    :
			    : "m"(pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMPTRLD [region]",
	      GUEST_TRY_ASM("vmptrld %0",
			    :
			    : "m"(pa)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMPTRST [region]",
	      GUEST_TRY_ASM("vmptrst %0",
			    : "=m"(value)
			    :
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMREAD GUEST_RIP",
	      GUEST_TRY_ASM("vmread %1, %0",
			    : "=r"(value)
			    : "r"(field)
			    : "memory", "cc"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMWRITE GUEST_RIP",
	      GUEST_TRY_ASM("vmwrite %1, %0",
			    :
			    : "r"(field), "r"(pa)
			    : "memory", "cc"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMLAUNCH",
	      GUEST_TRY_ASM("vmlaunch",
			    :
			    :
			    : "memory", "cc"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMRESUME",
	      GUEST_TRY_ASM("vmresume",
			    :
			    :
			    : "memory", "cc"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMXOFF", GUEST_TRY_ASM("vmxoff", : : : "memory", "cc"), GUEST_VECTOR_UD, verbose);
	check(t, "INVEPT all contexts",
	      GUEST_TRY_ASM("invept %0, %1",
			    :
			    : "m"(descriptor), "r"(2ull)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "INVVPID all contexts",
	      GUEST_TRY_ASM("invvpid %0, %1",
			    :
			    : "m"(descriptor), "r"(2ull)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "VMFUNC 0 (EPTP switching)",
	      GUEST_TRY_ASM("vmfunc",
			    :
			    : "a"(0), "c"(0)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	svm_round(t, pa, verbose);
	check(t, "MONITOR [region]",
	      GUEST_TRY_ASM("monitor",
			    :
			    : "a"(pa), "c"(0), "d"(0)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "MWAIT",
	      GUEST_TRY_ASM("mwait",
			    :
			    : "a"(0), "c"(0)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	check(t, "GETSEC CAPABILITIES",
	      GUEST_TRY_ASM("getsec",
			    :
			    : "a"(0), "b"(0)
			    : "memory"),
	      GUEST_VECTOR_UD, verbose);
	xsetbv_round(t, osxsave, verbose);
	check(t, "RDPMC 0",
	      GUEST_TRY_ASM("rdpmc",
			    : "=a"(value)
			    : "c"(0)
			    : "rdx", "memory"),
	      GUEST_VECTOR_GP, verbose);
	check(t, "MOV DR7 <- 0x400 (debug registers)",
	      GUEST_TRY_ASM("mov %0, %%dr7",
			    :
			    : "r"(0x400ull)
			    : "memory"),
	      GUEST_NO_TRAP, verbose);
	check(t, "MOV DR7 <- bit 32 set",
	      GUEST_TRY_ASM("mov %0, %%dr7",
			    :
			    : "r"(1ull << 32)
			    : "memory"),
	      GUEST_VECTOR_GP, verbose);
	check(t, "MOV DR0 <- a breakpoint address",
	      GUEST_TRY_ASM("mov %0, %%dr0",
			    :
			    : "r"(0x100000ull)
			    : "memory"),
	      GUEST_NO_TRAP, verbose);
	check(t, "MOV from DR6",
	      GUEST_TRY_ASM("mov %%dr6, %0",
			    : "=r"(value)
			    :
			    : "memory"),
	      GUEST_NO_TRAP, verbose);
	check(t, "WBINVD", GUEST_TRY_ASM("wbinvd", : : : "memory"), GUEST_NO_TRAP, verbose);
	invd_canary = 0x6b616e2d696e7664ull;
	int vector = GUEST_TRY_ASM("invd", : : : "memory");
	check(t, "INVD", vector, GUEST_NO_TRAP, verbose);
	if (invd_canary != 0x6b616e2d696e7664ull) {
		t->wrong++;
		guest_printf("vmx-insns: WRONG: INVD threw away a write made before it\n");
	}
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ms = guest_arg(info, "ms", 0);
	guest_printf("vmx-insns: VMX, SVM, SMX, MONITOR/MWAIT (and XSETBV without CR4.OSXSAVE) "
		     "must raise #UD, RDPMC #GP, INVD must do nothing\n");
	struct tally t = { 0 };
	attack_round(&t, 0, 1);
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	int osxsave = 0;
	if (c & CPUID1_ECX_XSAVE) {
		int vector = guest_write_cr4_safe(guest_read_cr4() | CR4_OSXSAVE);
		guest_printf("vmx-insns: CR4.OSXSAVE on: %s\n", guest_vector_name(vector));
		osxsave = vector == GUEST_NO_TRAP;
		if (!osxsave)
			t.wrong++;
		xsetbv_round(&t, osxsave, 1);
	}
	uint64_t rounds = 1, end = kan_time_ns() + ms * 1000000;
	while (kan_time_ns() < end) {
		attack_round(&t, osxsave, 0);
		rounds++;
	}
	guest_printf(
		"vmx-insns done: %lu rounds, %lu #UD of %lu expected, %lu #GP of %lu expected, "
		"%lu wrong\n",
		rounds, t.ud, t.ud_attempts, t.gp, t.gp_attempts, t.wrong);
	return t.wrong ? 1 : 0;
}
