/*
 * Hostile: writes CR0, CR3, CR4, CR8 and EFER with the combinations the CPU refuses (PG
 * without PE, NW without CD, CR0 bits 63:32, CR4.VMXE, CR4 bits the CPU lacks, PAE or LME
 * off in long mode, PG off in 64-bit code, CR3 beyond the physical-address width), each of
 * which must raise #GP, and with combinations it accepts, which must read back. Every write
 * is announced before it is made, so a log that ends early names the culprit. kan must never
 * fail a VM entry on any of them. "-- ms=N" repeats the round quietly for N ms.
 * Ends with status 0 if every write had the hardware's outcome.
 */
#include "guest.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_DE	       (1ull << 3)
#define CR4_TSD	       (1ull << 2)
#define CR4_PAE	       (1ull << 5)
#define CR4_MCE	       (1ull << 6)
#define CR4_PGE	       (1ull << 7)
#define CR4_PCE	       (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57       (1ull << 12)
#define CR4_VMXE       (1ull << 13)
#define CR4_SMXE       (1ull << 14)
#define CR4_PKE	       (1ull << 22)
#define CR4_CET	       (1ull << 23)

#define MSR_IA32_EFER 0xc0000080
#define EFER_SCE      (1ull << 0)
#define EFER_LME      (1ull << 8)

enum reg { CR0, CR3, CR4, CR8, EFER };
static const char *const reg_names[] = { "CR0", "CR3", "CR4", "CR8", "EFER" };

struct attempt {
	enum reg reg;
	uint64_t value;
	int expected; /* GUEST_VECTOR_GP or GUEST_NO_TRAP */
	const char *what;
};

struct tally {
	uint64_t attempts, gp_expected, gp, wrong;
};

static int write_reg(enum reg reg, uint64_t value)
{
	switch (reg) {
	case CR0:
		return guest_write_cr0_safe(value);
	case CR3:
		return guest_write_cr3_safe(value);
	case CR4:
		return guest_write_cr4_safe(value);
	case CR8:
		return guest_write_cr8_safe(value);
	case EFER:
		return guest_wrmsr_safe(MSR_IA32_EFER, value);
	}
	return GUEST_NO_TRAP;
}

static uint64_t read_reg(enum reg reg)
{
	uint64_t v = 0;
	switch (reg) {
	case CR0:
		return guest_read_cr0();
	case CR3:
		return guest_read_cr3();
	case CR4:
		return guest_read_cr4();
	case CR8:
		__asm__ volatile("mov %%cr8, %0" : "=r"(v));
		return v;
	case EFER:
		guest_rdmsr_safe(MSR_IA32_EFER, &v);
		return v;
	}
	return v;
}

/* Makes one write, checks its outcome and what the register reads, and puts it back. */
static void try_write(struct tally *t, const struct attempt *a, int verbose)
{
	uint64_t before = read_reg(a->reg);
	if (verbose)
		guest_printf("cr-abuse: MOV %s <- 0x%lx (%s), expecting %s\n", reg_names[a->reg],
			     a->value, a->what, guest_vector_name(a->expected));
	int vector = write_reg(a->reg, a->value);
	uint64_t after = read_reg(a->reg);
	int restore_vector = write_reg(a->reg, before);
	/* A refused write leaves the register alone; an accepted one reads back as written. */
	uint64_t expected_after = a->expected == GUEST_NO_TRAP ? a->value : before;
	int ok =
		vector == a->expected && after == expected_after && restore_vector == GUEST_NO_TRAP;
	t->attempts++;
	t->gp_expected += a->expected == GUEST_VECTOR_GP;
	t->gp += vector == GUEST_VECTOR_GP;
	t->wrong += !ok;
	static unsigned wrong_shown;
	if (!ok && wrong_shown++ < 12) /* the quiet rounds repeat every wrong answer */
		guest_printf("cr-abuse: WRONG: MOV %s <- 0x%lx (%s): %s, reads 0x%lx; expected %s, "
			     "0x%lx\n",
			     reg_names[a->reg], a->value, a->what, guest_vector_name(vector), after,
			     guest_vector_name(a->expected), expected_after);
	else if (verbose)
		guest_printf("cr-abuse:   %s, reads 0x%lx\n", guest_vector_name(vector), after);
}

static int cpu_has(uint32_t leaf, int reg, unsigned bit)
{
	uint32_t r[4];
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
	return (r[reg] >> bit) & 1;
}

static unsigned physical_address_bits(void)
{
	uint32_t a, b, c, d;
	guest_cpuid(0x80000008, &a, &b, &c, &d);
	return a & 0xff;
}

#define MAX_ATTEMPTS 48

static unsigned build_attempts(struct attempt *list)
{
	uint64_t cr0 = guest_read_cr0(), cr3 = guest_read_cr3(), cr4 = guest_read_cr4();
	uint64_t efer = read_reg(EFER);
	uint64_t cr0_cached = cr0 & ~(CR0_CD | CR0_NW); /* the documented entry value */
	unsigned n = 0;
#define ADD(r, v, e, w) list[n++] = (struct attempt){ r, v, e, w }
	/* The documented refusals (kan's policy: as on hardware). */
	ADD(CR0, cr0 & ~CR0_PE, GUEST_VECTOR_GP, "PG without PE");
	ADD(CR0, cr0_cached | CR0_NW, GUEST_VECTOR_GP, "NW without CD");
	ADD(CR0, cr0 | (1ull << 32), GUEST_VECTOR_GP, "bit 32 set");
	ADD(CR0, cr0 | (1ull << 63), GUEST_VECTOR_GP, "bit 63 set");
	ADD(CR4, cr4 | CR4_VMXE, GUEST_VECTOR_GP, "VMXE: VMX for the guest");
	ADD(CR4, cr4 | (1ull << 15), GUEST_VECTOR_GP, "reserved bit 15");
	ADD(CR4, cr4 | (1ull << 31), GUEST_VECTOR_GP, "reserved bit 31");
	ADD(CR4, cr4 | (1ull << 63), GUEST_VECTOR_GP, "reserved bit 63");
	if (!cpu_has(7, 2, 16))
		ADD(CR4, cr4 | CR4_LA57, GUEST_VECTOR_GP, "LA57, which CPUID says is absent");
	if (!cpu_has(1, 2, 6))
		ADD(CR4, cr4 | CR4_SMXE, GUEST_VECTOR_GP, "SMXE, which CPUID says is absent");
	if (!cpu_has(7, 2, 3))
		ADD(CR4, cr4 | CR4_PKE, GUEST_VECTOR_GP, "PKE, which CPUID says is absent");
	if (!cpu_has(7, 2, 7))
		ADD(CR4, cr4 | CR4_CET, GUEST_VECTOR_GP, "CET, which CPUID says is absent");
	ADD(CR4, cr4 & ~CR4_PAE, GUEST_VECTOR_GP, "PAE off in long mode");
	ADD(EFER, efer & ~EFER_LME, GUEST_VECTOR_GP, "LME off while paging is on");
	ADD(EFER, efer | (1ull << 1), GUEST_VECTOR_GP, "reserved bit 1");
	/* Accepted combinations: each must read back as written. */
	ADD(CR0, cr0 ^ CR0_WP, GUEST_NO_TRAP, "WP toggled");
	ADD(CR0, cr0 ^ CR0_AM, GUEST_NO_TRAP, "AM toggled");
	ADD(CR0, cr0 ^ CR0_MP, GUEST_NO_TRAP, "MP toggled");
	ADD(CR0, cr0 | CR0_TS, GUEST_NO_TRAP, "TS set");
	ADD(CR0, cr0 | CR0_EM, GUEST_NO_TRAP, "EM set");
	ADD(CR0, cr0_cached, GUEST_NO_TRAP, "CD and NW clear: caches on");
	ADD(CR0, cr0_cached | CR0_CD, GUEST_NO_TRAP, "CD set: caches off");
	ADD(CR0, cr0_cached | CR0_CD | CR0_NW, GUEST_NO_TRAP, "CD and NW set");
	ADD(CR0, cr0 & ~CR0_NE, GUEST_NO_TRAP, "NE off (VMX needs it on in the real CR0)");
	ADD(CR4, cr4 ^ CR4_PGE, GUEST_NO_TRAP, "PGE toggled");
	ADD(CR4, cr4 ^ CR4_TSD, GUEST_NO_TRAP, "TSD toggled");
	ADD(CR4, cr4 ^ CR4_DE, GUEST_NO_TRAP, "DE toggled");
	ADD(CR4, cr4 ^ CR4_PCE, GUEST_NO_TRAP, "PCE toggled");
	ADD(CR4, cr4 ^ CR4_MCE, GUEST_NO_TRAP, "MCE toggled");
	ADD(CR4, cr4 ^ CR4_OSFXSR, GUEST_NO_TRAP, "OSFXSR toggled");
	ADD(CR4, cr4 ^ CR4_OSXMMEXCPT, GUEST_NO_TRAP, "OSXMMEXCPT toggled");
	ADD(EFER, efer ^ EFER_SCE, GUEST_NO_TRAP, "SCE toggled");
	ADD(CR3, cr3, GUEST_NO_TRAP, "the same page tables again");
	/* Beyond the documented list, what the CPU does: #GP, never a failed VM entry. */
	ADD(CR8, 15, GUEST_NO_TRAP, "task priority 15: masks every interrupt");
	ADD(CR3, cr3 | (1ull << 63), GUEST_VECTOR_GP, "bit 63 with CR4.PCIDE off");
	unsigned bits = physical_address_bits();
	if (bits && bits < 52)
		ADD(CR3, cr3 | (1ull << bits), GUEST_VECTOR_GP,
		    "a page-table address beyond the physical-address width");
	ADD(CR0, cr0 & ~CR0_PG, GUEST_VECTOR_GP, "PG off in 64-bit code");
#undef ADD
	return n;
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ms = guest_arg(info, "ms", 0);
	struct attempt list[MAX_ATTEMPTS];
	unsigned n = build_attempts(list);
	struct tally t = { 0 };
	/* kan_guest.h, ENTRY STATE: CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE, EFER = LME|LMA|NXE. */
	uint64_t cr0 = guest_read_cr0(), cr4 = guest_read_cr4(), efer = read_reg(EFER);
	int entry_ok = cr0 == 0x80010033 && cr4 == 0x20 && efer == 0xd00;
	t.wrong += !entry_ok;
	guest_printf("cr-abuse: at entry CR0 0x%lx, CR3 0x%lx, CR4 0x%lx, EFER 0x%lx: %s\n", cr0,
		     guest_read_cr3(), cr4, efer,
		     entry_ok ? "as kan_guest.h says"
			      : "WRONG: kan_guest.h says CR0 0x80010033, CR4 0x20, EFER 0xd00");
	guest_printf("cr-abuse: %u writes to try\n", n);
	for (unsigned i = 0; i < n; i++)
		try_write(&t, &list[i], 1);
	uint64_t rounds = 1, end = kan_time_ns() + ms * 1000000;
	while (kan_time_ns() < end) {
		for (unsigned i = 0; i < n; i++)
			try_write(&t, &list[i], 0);
		rounds++;
	}
	guest_printf("cr-abuse done: %lu rounds, %lu writes, %lu #GP of %lu expected, %lu wrong\n",
		     rounds, t.attempts, t.gp, t.gp_expected, t.wrong);
	return t.wrong ? 1 : 0;
}
