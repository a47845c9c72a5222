/*
 * Hostile: WRMSR (and RDMSR) on the MSRs that control the machine under kan: VMX enable and
 * lock, the APIC base, MTRRs, debug and performance controls, VMX capabilities, speculation
 * controls, microcode, x2APIC (IPIs), SMM. kan keeps EFER, PAT, FS/GS base, SYSENTER_*,
 * the SYSCALL MSRs, KERNEL_GS_BASE and TSC_AUX per VM and answers a few reads with fixed values
 * (TSC, FEATURE_CONTROL locked without VMX, MISC_ENABLE, MTRRCAP, MTRR_DEF_TYPE, BIOS_SIGN_ID:
 * docs/security.md); every other access must raise #GP, and so must invalid values for the per-VM
 * ones. Then checks the emulated ones work and stay per VM: with "-- ms=N" it repeats the
 * attacks for N/2 ms, then for N/2 ms keeps writing values no other VM writes to every MSR
 * kan keeps per VM, yielding, and reading them back. Two of it on one CPU write the same
 * MSRs in turn (the hostile-cpu scenario).
 * Ends with status 0 if every attempt had the documented outcome.
 */
#include "guest.h"
#include "msr.h"

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

struct sensitive_msr {
	uint32_t msr;
	const char *name;
	uint64_t attack;   /* what a guest trying to take over would write */
	int read_emulated; /* docs/security.md: RDMSR answers read_value instead of #GP */
	uint64_t read_value;
};

static const struct sensitive_msr sensitive[] = {
	{ 0x3a, "IA32_FEATURE_CONTROL (VMX enable, lock)", 0x5, 1, 0x1 }, /* locked, VMX off */
	{ 0x1b, "IA32_APIC_BASE (move or disable the APIC)", 0xfe000900, 0, 0 },
	{ 0xfe, "IA32_MTRRCAP", 0, 1, 0 },
	{ 0x2ff, "IA32_MTRR_DEF_TYPE (all memory uncached)", 0x800, 1, 0 },
	{ 0x200, "IA32_MTRR_PHYSBASE0", 0x6, 0, 0 },
	{ 0x201, "IA32_MTRR_PHYSMASK0", 0xfff00000800, 0, 0 },
	{ 0x20f, "IA32_MTRR_PHYSMASK7", 0xfff00000800, 0, 0 },
	{ 0x250, "IA32_MTRR_FIX64K_00000", 0, 0, 0 },
	{ 0x268, "IA32_MTRR_FIX4K_C0000", 0, 0, 0 },
	{ 0x26f, "IA32_MTRR_FIX4K_F8000", 0, 0, 0 },
	{ 0x1d9, "IA32_DEBUGCTL (LBR, BTF)", 0x3, 0, 0 },
	{ 0x480, "IA32_VMX_BASIC", 0, 0, 0 },
	{ 0x481, "IA32_VMX_PINBASED_CTLS", 0, 0, 0 },
	{ 0x482, "IA32_VMX_PROCBASED_CTLS", 0, 0, 0 },
	{ 0x483, "IA32_VMX_EXIT_CTLS", 0, 0, 0 },
	{ 0x484, "IA32_VMX_ENTRY_CTLS", 0, 0, 0 },
	{ 0x485, "IA32_VMX_MISC", 0, 0, 0 },
	{ 0x486, "IA32_VMX_CR0_FIXED0", 0, 0, 0 },
	{ 0x487, "IA32_VMX_CR0_FIXED1", 0, 0, 0 },
	{ 0x488, "IA32_VMX_CR4_FIXED0", 0, 0, 0 },
	{ 0x489, "IA32_VMX_CR4_FIXED1", 0, 0, 0 },
	{ 0x48a, "IA32_VMX_VMCS_ENUM", 0, 0, 0 },
	{ 0x48b, "IA32_VMX_PROCBASED_CTLS2", 0, 0, 0 },
	{ 0x48c, "IA32_VMX_EPT_VPID_CAP", 0, 0, 0 },
	{ 0x48d, "IA32_VMX_TRUE_PINBASED_CTLS", 0, 0, 0 },
	{ 0x48e, "IA32_VMX_TRUE_PROCBASED_CTLS", 0, 0, 0 },
	{ 0x48f, "IA32_VMX_TRUE_EXIT_CTLS", 0, 0, 0 },
	{ 0x490, "IA32_VMX_TRUE_ENTRY_CTLS", 0, 0, 0 },
	{ 0x491, "IA32_VMX_VMFUNC", 0, 0, 0 },
	{ 0x48, "IA32_SPEC_CTRL (IBRS, STIBP)", 0x3, 0, 0 },
	{ 0x49, "IA32_PRED_CMD (IBPB)", 0x1, 0, 0 },
	{ 0x10b, "IA32_FLUSH_CMD (L1D flush)", 0x1, 0, 0 },
	{ 0x10a, "IA32_ARCH_CAPABILITIES", 0, 0, 0 },
	{ 0x1a0, "IA32_MISC_ENABLE", 0, 1, 0x1 }, /* fast strings */
	{ 0x79, "IA32_BIOS_UPDT_TRIG (load microcode)", 0x100000, 0, 0 },
	{ 0x8b, "IA32_BIOS_SIGN_ID", 0, 1, 0 },
	{ 0x9b, "IA32_SMM_MONITOR_CTL (dual-monitor SMM)", 0x1, 0, 0 },
	{ 0x1f2, "IA32_SMRR_PHYSBASE", 0x6, 0, 0 },
	{ 0x1f3, "IA32_SMRR_PHYSMASK", 0x800, 0, 0 },
	{ 0x3b, "IA32_TSC_ADJUST", 0x100000000, 0, 0 },
	{ MSR_IA32_TSC, "IA32_TSC (write: readable only)", 0, 1, 0 },
	{ 0x6e0, "IA32_TSC_DEADLINE", 1, 0, 0 },
	{ 0x802, "x2APIC ID", 0, 0, 0 },
	{ 0x808, "x2APIC TPR", 0xff, 0, 0 },
	{ 0x80b, "x2APIC EOI", 0, 0, 0 },
	{ 0x830, "x2APIC ICR (INIT IPI to every other CPU)", 0xc4500, 0, 0 },
	{ 0x186, "IA32_PERFEVTSEL0", 0x43003c, 0, 0 },
	{ 0x38f, "IA32_PERF_GLOBAL_CTRL", 0x1, 0, 0 },
	{ 0x199, "IA32_PERF_CTL (P-state)", 0xffff, 0, 0 },
	{ 0x19a, "IA32_CLOCK_MODULATION", 0x11, 0, 0 },
	{ 0x17a, "IA32_MCG_STATUS", 0, 0, 0 },
	{ 0x400, "IA32_MC0_CTL", 0, 0, 0 },
	{ 0x600, "IA32_DS_AREA", 0x1000, 0, 0 },
	{ 0x40000000, "Hyper-V guest OS ID", 1, 0, 0 },
	{ 0x4b564d00, "KVM wall clock", 0x1000, 0, 0 },
	{ 0xffffffff, "MSR 0xffffffff", 0, 0, 0 },
};
#define SENSITIVE (sizeof(sensitive) / sizeof(sensitive[0]))

/* Emulated MSRs given values the CPU itself refuses. */
struct invalid_write {
	uint32_t msr;
	uint64_t value;
	const char *why;
};

static const struct invalid_write invalid_writes[] = {
	{ MSR_IA32_FS_BASE, 0x0000800000000000ull, "FS_BASE non-canonical" },
	{ MSR_IA32_FS_BASE, 0x8000000000000000ull, "FS_BASE non-canonical" },
	{ MSR_IA32_GS_BASE, 0x00ff000000001000ull, "GS_BASE non-canonical" },
	{ MSR_IA32_SYSENTER_ESP, 0x0001000000000000ull, "SYSENTER_ESP non-canonical" },
	{ MSR_IA32_SYSENTER_EIP, 0xfff0000000000000ull, "SYSENTER_EIP non-canonical" },
	{ MSR_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE | (1ull << 1), "EFER reserved bit 1" },
	{ MSR_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE | (1ull << 12), "EFER bit 12 (SVME, AMD)" },
	{ MSR_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE | (1ull << 63), "EFER reserved bit 63" },
	{ MSR_IA32_EFER, EFER_LMA | EFER_NXE, "EFER.LME cleared while paging is on" },
	{ MSR_IA32_PAT, 0x0007040600070402ull, "PAT memory type 2 (reserved)" },
	{ MSR_IA32_PAT, 0x0007040600070403ull, "PAT memory type 3 (reserved)" },
	{ MSR_IA32_PAT, 0x0807040600070406ull, "PAT memory type 8" },
	{ MSR_IA32_PAT, 0xffffffffffffffffull, "PAT all 0xff" },
};
#define INVALID_WRITES (sizeof(invalid_writes) / sizeof(invalid_writes[0]))

struct tally {
	uint64_t attempts, faults, wrong, reads_emulated;
};

#define WRONG_TO_SHOW 12
static unsigned wrong_shown;

/* Wrong answers are printed, but only the first few: the rounds repeat them. */
static int show_wrong(void)
{
	return wrong_shown++ < WRONG_TO_SHOW;
}

/* One WRMSR or RDMSR that must raise #GP. */
static void expect_gp(struct tally *t, int vector, int verbose, const char *op, uint32_t msr,
		      uint64_t value, const char *name)
{
	t->attempts++;
	if (vector == GUEST_VECTOR_GP)
		t->faults++;
	else
		t->wrong++;
	if (verbose || (vector != GUEST_VECTOR_GP && show_wrong()))
		guest_printf("msr-poke: %s 0x%x (%s) <- 0x%lx: %s%s\n", op, msr, name, value,
			     vector == GUEST_NO_TRAP ? "no fault" : guest_vector_name(vector),
			     vector == GUEST_VECTOR_GP ? "" : " (WRONG: expected #GP)");
}

static void attack_round(struct tally *t, int verbose)
{
	for (unsigned i = 0; i < SENSITIVE; i++) {
		const struct sensitive_msr *s = &sensitive[i];
		const uint64_t values[] = { s->attack, 0, ~0ull };
		for (unsigned k = 0; k < 3; k++)
			expect_gp(t, guest_wrmsr_safe(s->msr, values[k]), verbose && k == 0,
				  "WRMSR", s->msr, values[k], s->name);
		uint64_t got;
		int vector = guest_rdmsr_safe(s->msr, &got);
		if (!s->read_emulated) {
			expect_gp(t, vector, 0, "RDMSR", s->msr, 0, s->name);
		} else if (s->msr != MSR_IA32_TSC) {
			int ok = vector == GUEST_NO_TRAP && got == s->read_value;
			t->reads_emulated++;
			t->wrong += !ok;
			if (verbose || (!ok && show_wrong()))
				guest_printf("msr-poke: RDMSR 0x%x (%s): %s, 0x%lx%s\n", s->msr,
					     s->name, guest_vector_name(vector), got,
					     ok ? " (kan's fixed answer)" : " (WRONG)");
		}
	}
	for (unsigned i = 0; i < INVALID_WRITES; i++) {
		const struct invalid_write *w = &invalid_writes[i];
		expect_gp(t, guest_wrmsr_safe(w->msr, w->value), verbose, "WRMSR", w->msr, w->value,
			  w->why);
	}
}

/* Writes the emulated MSRs and reads them back; counts every difference as wrong. */
static uint64_t check_emulated(uint64_t salt, int verbose)
{
	const struct {
		uint32_t msr;
		uint64_t value;
	} writes[] = {
		{ MSR_IA32_FS_BASE, 0x00007f0000000000ull | (salt << 12) },
		{ MSR_IA32_GS_BASE, 0xffff800000000000ull | (salt << 12) },
		{ MSR_IA32_SYSENTER_CS, 0x8 + (salt & 0xff) * 8 },
		{ MSR_IA32_SYSENTER_ESP, 0x200000 + salt * 16 },
		{ MSR_IA32_SYSENTER_EIP, 0xffffffff80000000ull + salt },
		{ MSR_IA32_PAT, salt & 1 ? 0x0007010600070106ull : PAT_POWER_ON },
		{ MSR_IA32_STAR, 0x0023001000000000ull + salt },
		{ MSR_IA32_LSTAR, 0xffffffff81000000ull + salt * 16 },
		{ MSR_IA32_FMASK, 0x47700 + (salt & 0xff) },
		{ MSR_IA32_KERNEL_GS, 0xffff888000000000ull + (salt << 12) },
		{ MSR_IA32_TSC_AUX, salt & 0xffffffff },
	};
	uint64_t wrong = 0, got;
	for (unsigned i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		int vector = guest_wrmsr_safe(writes[i].msr, writes[i].value);
		int read_vector = guest_rdmsr_safe(writes[i].msr, &got);
		if (vector != GUEST_NO_TRAP || read_vector != GUEST_NO_TRAP ||
		    got != writes[i].value) {
			wrong++;
			if (show_wrong())
				guest_printf("msr-poke: WRONG: MSR 0x%x <- 0x%lx (%s) reads back "
					     "0x%lx (%s)\n",
					     writes[i].msr, writes[i].value,
					     guest_vector_name(vector), got,
					     guest_vector_name(read_vector));
		} else if (verbose) {
			guest_printf("msr-poke: emulated MSR 0x%x <- 0x%lx reads back the same\n",
				     writes[i].msr, writes[i].value);
		}
	}
	return wrong;
}

/* EFER as kan starts a 64-bit guest; SCE is the bit a guest may change at will. */
#define EFER_AT_ENTRY (EFER_LME | EFER_LMA | EFER_NXE)

/* The PAT memory types (SDM 11.12.2): 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-. */
static const uint8_t pat_types[] = { 0, 1, 4, 5, 6, 7 };

/*
 * Every MSR kan keeps per VM, given a value that carries this VM's id (so no other VM writes
 * it) and the round (so it changes each time); then a yield, so that the other VMs on this
 * CPU run and write the same MSRs; then each must read back what this VM wrote.
 */
static uint64_t check_per_vm(uint64_t id, uint64_t round)
{
	uint64_t r = round & 0xfff;
	const struct {
		uint32_t msr;
		uint64_t value;
	} own[] = {
		{ MSR_IA32_STAR, (id << 48) | (0x10ull << 32) | r },
		{ MSR_IA32_LSTAR, 0xffffff0000000000ull | (id << 32) | (r << 4) },
		{ MSR_IA32_CSTAR, 0x00007e0000000000ull | (id << 32) | (r << 4) },
		{ MSR_IA32_FMASK, (id << 16) | r },
		{ MSR_IA32_KERNEL_GS, 0xffff888000000000ull | (id << 32) | (r << 12) },
		{ MSR_IA32_TSC_AUX, (id << 16) | r },
		{ MSR_IA32_FS_BASE, 0x00007f0000000000ull | (id << 32) | (r << 12) },
		{ MSR_IA32_GS_BASE, 0xffff800000000000ull | (id << 32) | (r << 12) },
		{ MSR_IA32_SYSENTER_CS, (id << 8) | ((r & 0x1f) << 3) },
		{ MSR_IA32_SYSENTER_ESP, 0x0000100000000000ull | (id << 32) | (r << 4) },
		{ MSR_IA32_SYSENTER_EIP, 0xffffff0000000000ull | (id << 32) | r },
		{ MSR_IA32_PAT, (PAT_POWER_ON & 0x0000ffffffffffffull) |
					((uint64_t)pat_types[id % 6] << 48) |
					((uint64_t)pat_types[r % 6] << 56) },
		{ MSR_IA32_EFER, EFER_AT_ENTRY | ((id + r) & 1 ? EFER_SCE : 0) },
	};
	const unsigned n = sizeof(own) / sizeof(own[0]);
	uint64_t wrong = 0, got;
	for (unsigned i = 0; i < n; i++) {
		if (guest_wrmsr_safe(own[i].msr, own[i].value) == GUEST_NO_TRAP)
			continue;
		if (wrong++, show_wrong())
			guest_printf("msr-poke: WRONG: MSR 0x%x <- 0x%lx faulted\n", own[i].msr,
				     own[i].value);
	}
	kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		if (guest_rdmsr_safe(own[i].msr, &got) != GUEST_NO_TRAP || got != own[i].value) {
			if (wrong++, show_wrong())
				guest_printf(
					"msr-poke: WRONG: MSR 0x%x was 0x%lx before a yield, 0x%lx "
					"after\n",
					own[i].msr, own[i].value, got);
		}
	}
	guest_wrmsr_safe(MSR_IA32_EFER, EFER_AT_ENTRY);
	return wrong;
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t ms = guest_arg(info, "ms", 0), efer = 0, tsc = 0;
	guest_printf(
		"msr-poke: %lu sensitive MSRs x 3 values and RDMSR of each, %lu invalid values "
		"for per-VM ones: each must raise #GP (but kan's fixed reads)\n",
		(uint64_t)SENSITIVE, (uint64_t)INVALID_WRITES);
	struct tally t = { 0 };
	attack_round(&t, 1);
	uint64_t emulated_wrong = check_emulated(info->vm_id, 1);
	int efer_vector = guest_rdmsr_safe(MSR_IA32_EFER, &efer);
	int tsc_vector = guest_rdmsr_safe(MSR_IA32_TSC, &tsc);
	uint64_t efer_expected = EFER_LME | EFER_LMA | EFER_NXE;
	guest_printf("msr-poke: EFER reads 0x%lx (expected 0x%lx), TSC reads 0x%lx (%s)\n", efer,
		     efer_expected, tsc, guest_vector_name(tsc_vector));
	emulated_wrong += efer_vector != GUEST_NO_TRAP || efer != efer_expected ||
			  tsc_vector != GUEST_NO_TRAP;
	guest_printf("msr-poke: first round: %lu attempts, %lu #GP, %lu wrong\n", t.attempts,
		     t.faults, t.wrong + emulated_wrong);

	/* The first half of the time attacks, the second only checks the per-VM MSRs, so that
	 * two msr-pokes started together write them in turn between each other's yields. */
	uint64_t rounds = 1, start = kan_time_ns(), half = start + ms * 500000;
	uint64_t end = start + ms * 1000000;
	while (kan_time_ns() < half) {
		attack_round(&t, 0);
		emulated_wrong += check_emulated(info->vm_id + rounds, 0);
		rounds++;
	}
	uint64_t yields = 0, per_vm_wrong = 0;
	while (kan_time_ns() < end)
		per_vm_wrong += check_per_vm(info->vm_id, ++yields);
	guest_printf("msr-poke: per-VM MSRs: 13 written, read back after each of %lu yields: %lu "
		     "wrong\n",
		     yields, per_vm_wrong);
	emulated_wrong += per_vm_wrong;
	uint64_t wrong = t.wrong + emulated_wrong;
	guest_printf(
		"msr-poke done: %lu rounds, %lu attempts, %lu #GP, %lu fixed reads, %lu wrong; "
		"exceptions seen: %lu #GP, %lu other\n",
		rounds, t.attempts, t.faults, t.reads_emulated, wrong,
		guest_trap_counts[GUEST_VECTOR_GP],
		guest_trap_total() - guest_trap_counts[GUEST_VECTOR_GP]);
	return wrong || t.faults != t.attempts ? 1 : 0;
}
