/*
 * Hostile: a seeded fuzzer of everything that exits to kan. "-- seed=N ops=N" (the seed is
 * printed first, so a failing run can be replayed). Each operation is one of: CPUID of a
 * random leaf; IN or OUT of a random size on a random port; RDMSR or WRMSR of a random MSR
 * with a random value; a hypercall with a random number and arguments; an instruction kan
 * refuses (#UD, #GP) or ignores (WBINVD); and, sparingly, a CR0/CR4 write. It predicts kan's
 * documented answer where the policy fixes one and counts every miss as a violation. It never does
 * what the policy says stops a VM (memory outside RAM, HLT with interrupts off, a triple fault),
 * nor OUT to its own console. Prints progress every 10%, then its counts and ops per second
 * of kan's time, asks kan for its VM table, and ends with status 0 if nothing was violated.
 */
#include "guest.h"
#include "msr.h"

#define COM1_FIRST	0x3f8
#define COM1_LAST	0x3ff
#define SHOW_VIOLATIONS 10

enum op_kind { OP_CPUID, OP_PORT, OP_MSR, OP_HYPERCALL, OP_REFUSED, OP_CR, OP_KINDS };
static const char *const op_names[OP_KINDS] = {
	"cpuid", "port", "msr", "hypercall", "refused", "cr"
};

static uint64_t rng, op_index, violations, mix[OP_KINDS];
static uint64_t ram;
static struct kan_vm_info scratch_info;

static void violation(const char *what, uint64_t a, uint64_t b, int64_t got, int64_t expected)
{
	if (violations++ < SHOW_VIOLATIONS)
		guest_printf("fuzzer: VIOLATION at op %lu: %s (0x%lx, 0x%lx): got %ld, policy says "
			     "%ld\n",
			     op_index, what, a, b, got, expected);
}

/* The same for an instruction whose outcome is an exception vector (or none). */
static void violation_vector(const char *what, uint64_t a, uint64_t b, int got, int expected)
{
	if (violations++ < SHOW_VIOLATIONS)
		guest_printf("fuzzer: VIOLATION at op %lu: %s (0x%lx, 0x%lx): got %s, policy says "
			     "%s\n",
			     op_index, what, a, b, guest_vector_name(got),
			     guest_vector_name(expected));
}

static uint64_t random_below(uint64_t n)
{
	return guest_random(&rng) % n;
}

static void fuzz_cpuid(void)
{
	static const uint32_t bases[] = { 0, 0x40000000, 0x80000000, 0 };
	uint64_t r = guest_random(&rng);
	uint32_t leaf =
		(r & 3) == 3 ? (uint32_t)(r >> 32) : bases[r & 3] + (uint32_t)(r >> 8) % 0x24;
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(r >> 16));
	if (leaf == 1 && ((c >> 5) & 1 || !((c >> 31) & 1)))
		violation("CPUID.1:ECX VMX off, hypervisor on", leaf, c, c,
			  (c & ~(1u << 5)) | (1u << 31));
	if (leaf == 0x40000000 &&
	    (a != 0x40000000 || b != 0x4b6e614b || c != 0x614b6e61 || d != 0x6e614b6e))
		violation("CPUID 0x40000000 signature KanKanKanKan", leaf, b, a, 0x40000000);
}

static void fuzz_port(void)
{
	uint64_t r = guest_random(&rng);
	unsigned size = 1u << (r % 3);
	uint16_t port = (uint16_t)(r >> 8);
	int in = (r >> 40) & 1;
	int touches_com1 = port <= COM1_LAST && port + size - 1 >= COM1_FIRST;
	if (!in) {
		if (!touches_com1) /* the console stays ours */
			guest_out(port, size, (uint32_t)(r >> 24));
		return;
	}
	uint32_t v = guest_in(port, size);
	uint32_t ones = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	if (!touches_com1 && v != ones)
		violation("IN from a port kan does not give out reads all ones", port, size, v,
			  ones);
}

static int canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static int pat_valid(uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		uint8_t type = (uint8_t)(v >> (8 * i));
		if (type > 7 || type == 2 || type == 3)
			return 0;
	}
	return 1;
}

static void expect_vector(const char *what, uint32_t msr, uint64_t value, int got, int expected)
{
	if (got != expected)
		violation_vector(what, msr, value, got, expected);
}

/* WRMSR of a random value to an MSR kan emulates, with the hardware's verdict on it. */
static void fuzz_emulated_msr(uint64_t r)
{
	static const uint32_t emulated[] = { MSR_IA32_FS_BASE,	    MSR_IA32_GS_BASE,
					     MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
					     MSR_IA32_PAT,	    MSR_IA32_EFER,
					     MSR_IA32_TSC,	    MSR_IA32_SYSENTER_CS };
	uint32_t msr = emulated[r % 8];
	uint64_t v = guest_random(&rng), old = 0;
	guest_rdmsr_safe(msr, &old);
	int expected;
	switch (msr) {
	case MSR_IA32_PAT:
		if (r & 0x100) /* mostly valid memory types, so some writes get through */
			v &= 0x0707070707070707ull;
		expected = pat_valid(v) ? GUEST_NO_TRAP : GUEST_VECTOR_GP;
		break;
	case MSR_IA32_EFER: {
		unsigned bit = (unsigned)((r >> 8) % 64);
		v = old ^ (1ull << bit);
		/* SCE and NXE are the guest's; LMA is read-only; LME cannot change under paging. */
		expected = bit == 0 || bit == 10 || bit == 11 ? GUEST_NO_TRAP : GUEST_VECTOR_GP;
		break;
	}
	case MSR_IA32_TSC:
		expected = GUEST_VECTOR_GP;
		break;
	case MSR_IA32_SYSENTER_CS:
		v &= 0xffff;
		expected = GUEST_NO_TRAP;
		break;
	default:
		if (r & 0x100)
			v = (uint64_t)((int64_t)(v << 16) >> 16);
		expected = canonical(v) ? GUEST_NO_TRAP : GUEST_VECTOR_GP;
	}
	expect_vector("WRMSR to an emulated MSR", msr, v, guest_wrmsr_safe(msr, v), expected);
	if (msr != MSR_IA32_TSC)
		guest_wrmsr_safe(msr, old);
}

/* docs/security.md: reads kan answers with fixed values (writes still raise #GP). */
static int read_emulated(uint32_t msr)
{
	return msr == MSR_IA32_TSC || msr == 0x3a || msr == 0x8b || msr == 0xfe || msr == 0x1a0 ||
	       msr == 0x2ff;
}

static void fuzz_msr(void)
{
	uint64_t r = guest_random(&rng);
	uint32_t msr;
	switch (r % 10) {
	case 0:
	case 1:
		msr = (uint32_t)(r >> 32);
		break;
	case 2:
	case 3:
		msr = (uint32_t)(r >> 32) % 0x2000;
		break;
	case 4:
	case 5:
		msr = 0xc0000000 + (uint32_t)(r >> 32) % 0x2000;
		break;
	case 6:
		msr = 0x40000000 + (uint32_t)(r >> 32) % 0x100;
		break;
	default:
		fuzz_emulated_msr(r >> 4);
		return;
	}
	int guest_state = msr == MSR_IA32_PAT || msr == MSR_IA32_EFER ||
			  (msr >= MSR_IA32_SYSENTER_CS && msr <= MSR_IA32_SYSENTER_EIP) ||
			  msr == MSR_IA32_FS_BASE || msr == MSR_IA32_GS_BASE ||
			  (msr >= MSR_IA32_STAR && msr <= MSR_IA32_FMASK) ||
			  msr == MSR_IA32_KERNEL_GS ||
			  msr == MSR_IA32_TSC_AUX; /* the SYSCALL MSRs, KERNEL_GS_BASE, TSC_AUX */
	if (guest_state)
		return; /* the structured case above owns these */
	uint64_t v = guest_random(&rng);
	if ((r >> 3) & 1)
		expect_vector("WRMSR to an MSR kan does not emulate", msr, v,
			      guest_wrmsr_safe(msr, v), GUEST_VECTOR_GP);
	else
		expect_vector("RDMSR of an MSR kan does not emulate", msr, 0,
			      guest_rdmsr_safe(msr, &v),
			      read_emulated(msr) ? GUEST_NO_TRAP : GUEST_VECTOR_GP);
}

static void fuzz_hypercall(void)
{
	uint64_t r = guest_random(&rng), a0 = guest_random(&rng), a1 = guest_random(&rng);
	uint64_t a2 = guest_random(&rng), a3 = guest_random(&rng);
	uint64_t nr = r & 1 ? (r >> 1) % 16 : r >> 1;
	uint64_t outside = ram + a0 % (~0ull - ram);
	int64_t expected;
	switch (nr) {
	case KAN_HC_EXIT:
	case KAN_HC_REPORT: /* would end us, or flood the console */
	case KAN_HC_VERSION:
		nr = KAN_HC_VERSION;
		expected = KAN_ABI_VERSION;
		break;
	case KAN_HC_CONSOLE_WRITE:
		a0 = a1 & 1 ? outside : ram - 1 - (a0 & 0x7ff);
		a1 |= 0x801;
		expected = KAN_EFAULT;
		break;
	case KAN_HC_VM_INFO:
		a0 = a1 & 1 ? outside : (uint64_t)&scratch_info;
		expected = a1 & 1 ? KAN_EFAULT : 0;
		break;
	case KAN_HC_YIELD:
		expected = 0;
		break;
	case KAN_HC_TIME_NS:
		expected = -100; /* any non-negative time */
		break;
	default:
		expected = KAN_ENOSYS;
	}
	int64_t got = kan_hypercall4(nr, a0, a1, a2, a3);
	if (expected == -100 ? got < 0 : got != expected)
		violation("hypercall", nr, a0, got, expected);
}

static uint8_t vmx_region[4096] __attribute__((aligned(4096)));

static void fuzz_refused(void)
{
	uint64_t r = guest_random(&rng), pa = (uint64_t)vmx_region, v = 0;
	int got, expected = GUEST_VECTOR_UD;
	switch (r % 13) {
	case 10: /* debug registers are per-VM storage; DR7's upper half must be zero */
		v = r & 0x1000 ? (r >> 13) & 0xffff00ffull : r >> 8;
		got = GUEST_TRY_ASM("mov %0, %%dr7", : : "r"(v) : "memory");
		expected = v >> 32 ? GUEST_VECTOR_GP : GUEST_NO_TRAP;
		break;
	case 11:
		got = GUEST_TRY_ASM("mov %%dr6, %0", : "=r"(v) : : "memory");
		expected = GUEST_NO_TRAP;
		break;
	case 12:
		got = GUEST_TRY_ASM("wbinvd", : : : "memory");
		expected = GUEST_NO_TRAP;
		break;
	case 0:
		got = GUEST_TRY_ASM("vmxon %0", : : "m"(pa) : "memory");
		break;
	case 1:
		got = GUEST_TRY_ASM("vmptrld %0", : : "m"(pa) : "memory");
		break;
	case 2:
		got = GUEST_TRY_ASM("vmread %1, %0", : "=r"(v) : "r"(r >> 8) : "memory", "cc");
		break;
	case 3:
		got = GUEST_TRY_ASM("vmwrite %1, %0", : : "r"(r >> 8), "r"(r) : "memory", "cc");
		break;
	case 4:
		got = GUEST_TRY_ASM("vmlaunch", : : : "memory", "cc");
		break;
	case 5:
		got = GUEST_TRY_ASM("invept %0, %1",
				    :
				    : "m"(vmx_region), "r"((r >> 8) & 3)
				    : "memory");
		break;
	case 6:
		got = GUEST_TRY_ASM("vmfunc", : : "a"((uint32_t)(r >> 8) & 1), "c"(0) : "memory");
		break;
	case 7:
		got = GUEST_TRY_ASM("mwait", : : "a"(0), "c"(0) : "memory");
		break;
	case 8:
		got = GUEST_TRY_ASM("xsetbv",
				    :
				    : "a"((uint32_t)(r >> 8)), "c"(0), "d"(0)
				    : "memory");
		break;
	default:
		got = GUEST_TRY_ASM("rdpmc",
				    : "=a"(v)
				    : "c"((uint32_t)(r >> 8) & 7)
				    : "rdx", "memory");
		expected = GUEST_VECTOR_GP;
	}
	if (got != expected)
		violation_vector("an instruction kan refuses (case in fuzz_refused)", r % 13, 0,
				 got, expected);
}

/* What the CPU says of a CR0 value: PG needs PE, NW needs CD, bits 63:32 are reserved. */
static int cr0_valid(uint64_t v)
{
	return !(v >> 32) && !((v >> 31 & 1) && !(v & 1)) && !((v >> 29 & 1) && !(v >> 30 & 1));
}

/* CR0/CR4 writes that leave the guest running: harmless bits toggled and restored, or a bit
 * whose change the CPU refuses here (PE, bits 63:32, PAE in long mode, VMXE, reserved). */
static void fuzz_cr(void)
{
	static const uint64_t cr0_flips[] = { 1ull << 16, 1ull << 18, 1ull << 1,  1ull << 30,
					      1ull << 29, 1ull << 0,  1ull << 32, 1ull << 63 };
	static const uint64_t cr4_safe[] = { 1ull << 2, 1ull << 3, 1ull << 7,
					     1ull << 8, 1ull << 9, 1ull << 10 };
	static const uint64_t cr4_bad[] = { 1ull << 5, 1ull << 13, 1ull << 15, 1ull << 63 };
	uint64_t r = guest_random(&rng);
	int cr4 = r & 1;
	uint64_t old = cr4 ? guest_read_cr4() : guest_read_cr0(), value;
	int expected;
	if (cr4) {
		int bad = (r >> 1) & 1;
		value = old ^ (bad ? cr4_bad[(r >> 8) % 4] : cr4_safe[(r >> 8) % 6]);
		expected = bad ? GUEST_VECTOR_GP : GUEST_NO_TRAP;
	} else {
		value = old ^ cr0_flips[(r >> 8) % 8];
		expected = cr0_valid(value) ? GUEST_NO_TRAP : GUEST_VECTOR_GP;
	}
	int got = cr4 ? guest_write_cr4_safe(value) : guest_write_cr0_safe(value);
	if (got != expected)
		violation_vector(cr4 ? "MOV CR4" : "MOV CR0", old, value, got, expected);
	if (got == GUEST_NO_TRAP)
		cr4 ? guest_write_cr4_safe(old) : guest_write_cr0_safe(old);
}

static enum op_kind pick(void)
{
	uint64_t p = random_below(100);
	if (p < 24)
		return OP_CPUID;
	if (p < 48)
		return OP_PORT;
	if (p < 70)
		return OP_MSR;
	if (p < 90)
		return OP_HYPERCALL;
	if (p < 97)
		return OP_REFUSED;
	return OP_CR;
}

static void counts_line(const char *prefix)
{
	guest_printf("%s #GP %lu, #UD %lu, other exceptions %lu, violations %lu\n", prefix,
		     guest_trap_counts[GUEST_VECTOR_GP], guest_trap_counts[GUEST_VECTOR_UD],
		     guest_trap_total() - guest_trap_counts[GUEST_VECTOR_GP] -
			     guest_trap_counts[GUEST_VECTOR_UD],
		     violations);
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t seed = guest_random_seed(guest_arg(info, "seed", 1));
	uint64_t ops = guest_arg(info, "ops", 1000000);
	guest_printf("fuzzer: seed=%lu ops=%lu\n", seed, ops);
	guest_trap_install();
	rng = seed;
	ram = info->ram_size;
	uint64_t start = kan_time_ns(), next_report = ops / 10;
	for (op_index = 0; op_index < ops; op_index++) {
		if (op_index == next_report && op_index) {
			uint64_t us = (kan_time_ns() - start) / 1000;
			guest_printf("fuzzer: %lu%%, %lu ops, %lu ops/s,", op_index * 100 / ops,
				     op_index, us ? op_index * 1000000 / us : 0);
			counts_line("");
			next_report += ops / 10;
		}
		enum op_kind kind = pick();
		mix[kind]++;
		switch (kind) {
		case OP_CPUID:
			fuzz_cpuid();
			break;
		case OP_PORT:
			fuzz_port();
			break;
		case OP_MSR:
			fuzz_msr();
			break;
		case OP_HYPERCALL:
			fuzz_hypercall();
			break;
		case OP_REFUSED:
			fuzz_refused();
			break;
		default:
			fuzz_cr();
			break;
		}
	}
	uint64_t us = (kan_time_ns() - start) / 1000;
	guest_wrmsr_safe(MSR_IA32_PAT, PAT_POWER_ON);
	guest_printf("fuzzer done: seed=%lu, %lu ops in %lu us of kan's time, %lu ops/s\n", seed,
		     ops, us, us ? ops * 1000000 / us : 0);
	guest_printf("fuzzer: mix");
	for (int k = 0; k < OP_KINDS; k++)
		guest_printf(" %s=%lu", op_names[k], mix[k]);
	guest_printf("\n");
	counts_line("fuzzer:");
	kan_hypercall(KAN_HC_REPORT, 0, 0, 0);
	return violations ? 1 : 0;
}
