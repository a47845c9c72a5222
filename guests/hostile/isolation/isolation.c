/*
 * The isolation guest's rounds (isolation.h): write every piece with this round's values,
 * read them back, yield, read them again, and compare. A holder (id=N) and a spy (spy=1
 * id=N) on one CPU take turns at every yield; the spy runs more rounds, so that it outlives
 * its holder and every one of the holder's yields hands the CPU to it.
 *   -- id=1-4 spy=0|1 rounds=N (default 48)
 */
#include "guest.h"
#include "isolation.h"

#define SSE_LOOP_TERMS 500

static struct iso_vector_state vector_in, vector_ref, vector_out;
static struct iso_snapshot want, ref, out;

/* Plain double arithmetic that the compiler keeps in XMM registers: a preemption in the
 * middle that loses them changes the sum. */
static double sse_loop(void)
{
	static volatile unsigned terms = SSE_LOOP_TERMS;
	double sum = 0.0;
	for (unsigned k = 1; k <= terms; k++) {
		double x = (double)k;
		sum += 1.0 / (x * x);
	}
	return sum;
}

static uint64_t bits_of(double d)
{
	uint64_t u;
	__builtin_memcpy(&u, &d, sizeof(u));
	return u;
}

static const char *yes(unsigned features, unsigned bit)
{
	return features & bit ? "yes" : "no";
}

int64_t guest_main(const struct kan_start_info *info)
{
	unsigned id = (unsigned)guest_arg(info, "id", 1), spy = guest_arg(info, "spy", 0) != 0;
	unsigned rounds = (unsigned)guest_arg(info, "rounds", 48);
	if (id < 1 || id > 4) {
		guest_printf("isolation: id=%u is not 1-4\n", id);
		return 2;
	}
	unsigned owner = (spy ? ISO_SPY : ISO_HOLDER) | id;
	guest_trap_install();
	struct iso_caps caps;
	iso_probe(&caps);
	bool wide = caps.features & ISO_FEAT_AVX512BW;
	/* What this VM finds before it writes anything, and before its own code uses XMM. */
	iso_save(&vector_out, caps.features);
	iso_read_cpu_state(&caps, &out);
	iso_vector_unpack(&vector_out, wide, &out);
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	guest_printf("isolation: %s %u, %u rounds; CPUID offers XSAVE %s, AVX %s; XCR0 0x%lx; AVX "
		     "%s, AVX-512 %s (opmask %u bits), RDTSCP %s\n",
		     spy ? "spy" : "holder", id, rounds, c & (1u << 26) ? "yes" : "no",
		     c & (1u << 28) ? "yes" : "no", caps.xcr0_full,
		     yes(caps.features, ISO_FEAT_AVX), yes(caps.features, ISO_FEAT_AVX512),
		     wide ? 64 : 16, yes(caps.features, ISO_FEAT_RDTSCP));
	/* Before the first round, MXCSR is whatever kan starts a VM with: the reset value. */
	double first = sse_loop();
	uint64_t sum = bits_of(first);
	guest_printf("isolation: SSE loop: the sum of 1/k^2 for k up to %u is %lu millionths\n",
		     SSE_LOOP_TERMS, (uint64_t)(first * 1e6));
	iso_rows_start(&caps);
	bool fresh = iso_rows_check_fresh(owner, &out, wide);
	unsigned refused = 0;
	for (unsigned round = 0; round < rounds; round++) {
		iso_plan(owner, round, caps.xcr0_full, wide, &want);
		refused += iso_write_cpu_state(&caps, owner, &want);
		iso_vector_pack(&want, caps.features, &vector_in);
		memset(&ref, 0, sizeof(ref));
		memset(&out, 0, sizeof(out));
		iso_read_cpu_state(&caps, &ref);
		iso_switch(&vector_in, &vector_ref, &vector_out, caps.features);
		iso_read_cpu_state(&caps, &out);
		iso_vector_unpack(&vector_ref, wide, &ref);
		iso_vector_unpack(&vector_out, wide, &out);
		iso_rows_compare(owner, &ref, &out, wide);
		iso_rows_note_sse_loop(sum, bits_of(sse_loop()));
	}
	return iso_rows_report(rounds, refused, fresh);
}
