/*
 * Hostile: hypercalls with garbage. First the console budget, exactly (console_budget_checks),
 * then a list of crafted calls, each with the answer the ABI gives (unknown numbers -1,
 * pointers or lengths outside RAM -2, even where the first 4096 bytes a call takes are
 * inside it; 64-bit numbers never truncated), then count= random calls (seed= for the PRNG)
 * with garbage numbers, pointers outside RAM, unaligned pointers, huge and negative lengths,
 * all four argument registers filled. Ends with status 0 if every answer matched.
 */
#include "guest.h"

#define CONSOLE_WRITE_MAX 4096
#define CONSOLE_BURST	  2048
#define SHOW_WRONG	  8

struct call {
	uint64_t nr, a0, a1, a2, a3;
	int64_t expected;
	const char *what;
};

static char long_line[CONSOLE_WRITE_MAX + 512];
static char filler[CONSOLE_WRITE_MAX + 512]; /* lines of 99 letters */
static struct kan_vm_info info_buffer[2];

static uint64_t wrong;

static void check(const struct call *c, int verbose)
{
	int64_t got = kan_hypercall4(c->nr, c->a0, c->a1, c->a2, c->a3);
	int ok = got == c->expected;
	if (!ok && wrong++ < SHOW_WRONG)
		guest_printf("hypercall-storm: WRONG: nr 0x%lx (%lx, %lx, %lx, %lx) %s: %ld, "
			     "expected %ld\n",
			     c->nr, c->a0, c->a1, c->a2, c->a3, c->what, got, c->expected);
	else if (ok && verbose)
		guest_printf("hypercall-storm: nr 0x%lx (0x%lx, 0x%lx) %s: %ld\n", c->nr, c->a0,
			     c->a1, c->what, got);
}

static void wrong_budget(const char *what, int64_t got, int64_t expected)
{
	if (wrong++ < SHOW_WRONG)
		guest_printf("hypercall-storm: WRONG: console budget: %s took %ld bytes, expected "
			     "%ld\n",
			     what, got, expected);
}

/*
 * What a console write takes is what the VM's budget allows (kan_guest.h, CONSOLE): after
 * 0.6 s without output the budget is its full 2 KiB burst. A short write takes all of it,
 * a 4608-byte one the rest of the burst (not the 4096 a call may carry) plus what came due
 * since the first call, and the next call only what came due since the second. The guest
 * prints the TSC ticks between the calls; the scenario checks the bytes against them.
 */
static void console_budget_checks(uint64_t unaligned, uint64_t msg_len)
{
	for (uint64_t until = kan_time_ns() + 600000000; kan_time_ns() < until;)
		;
	kan_hypercall(KAN_HC_YIELD, 0, 0, 0); /* a fresh slice for the three calls */
	uint64_t t1 = guest_rdtsc();
	int64_t first = kan_hypercall(KAN_HC_CONSOLE_WRITE, unaligned, msg_len, 0);
	uint64_t t2 = guest_rdtsc();
	int64_t rest = kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)filler, sizeof(filler), 0);
	uint64_t t3 = guest_rdtsc();
	int64_t more = kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)filler, sizeof(filler), 0);
	int64_t rest_min = CONSOLE_BURST - (int64_t)msg_len;
	if (first != (int64_t)msg_len)
		wrong_budget("a line from an unaligned pointer", first, (int64_t)msg_len);
	if (rest < rest_min || rest >= CONSOLE_BURST)
		wrong_budget("4608 bytes, the rest of the burst", rest, rest_min);
	if (more < 0 || more >= rest_min)
		wrong_budget("4608 bytes again, only what came due", more, 0);
	guest_printf("\nhypercall-storm: console budget: %ld bytes, %lu ticks later %ld of 4608, "
		     "%lu ticks later %ld\n",
		     first, t2 - t1, rest, t3 - t2, more);
}

static void crafted_calls(uint64_t ram)
{
	const uint64_t huge = 0xffffffffffffffffull, neg = (uint64_t)-4096;
	const char *msg = "hypercall-storm: this line came from an unaligned pointer\n";
	uint64_t unaligned = (uint64_t)long_line + 1;
	for (const char *p = msg; *p; p++)
		long_line[1 + (p - msg)] = *p;
	uint64_t msg_len = 0;
	while (msg[msg_len])
		msg_len++;
	for (unsigned i = 0; i < sizeof(filler); i++)
		filler[i] = (i + 1) % 100 == 0 ? '\n' : (char)('a' + i % 26);
	console_budget_checks(unaligned, msg_len);
	const struct call calls[] = {
		{ 7, 0, 0, 0, 0, KAN_ENOSYS, "first unknown number" },
		{ 0xff, 0, 0, 0, 0, KAN_ENOSYS, "unknown number" },
		{ 0x7fffffff, 0, 0, 0, 0, KAN_ENOSYS, "unknown number" },
		{ 0x100000001ull, 0, 0, 0, 0, KAN_ENOSYS,
		  "EXIT with bit 32 set (a truncation test)" },
		{ 0x8000000000000002ull, 0, 0, 0, 0, KAN_ENOSYS, "CONSOLE_WRITE with bit 63 set" },
		{ huge, huge, huge, huge, huge, KAN_ENOSYS, "all ones everywhere" },
		{ (uint64_t)-2, 0, 0, 0, 0, KAN_ENOSYS, "negative number" },
		{ KAN_HC_CONSOLE_WRITE, ram, 1, 0, 0, KAN_EFAULT, "first byte beyond RAM" },
		{ KAN_HC_CONSOLE_WRITE, ram - 1, 2, 0, 0, KAN_EFAULT, "straddling the end of RAM" },
		{ KAN_HC_CONSOLE_WRITE, 0xfee00000, 16, 0, 0, KAN_EFAULT, "the LAPIC" },
		{ KAN_HC_CONSOLE_WRITE, huge, 1, 0, 0, KAN_EFAULT, "pointer all ones" },
		{ KAN_HC_CONSOLE_WRITE, huge - 7, 64, 0, 0, KAN_EFAULT, "pointer + length wraps" },
		{ KAN_HC_CONSOLE_WRITE, 0x8000000000000000ull, 16, 0, 0, KAN_EFAULT,
		  "non-canonical pointer" },
		{ KAN_HC_CONSOLE_WRITE, 1ull << 52, 16, 0, 0, KAN_EFAULT,
		  "beyond any physical address" },
		{ KAN_HC_CONSOLE_WRITE, ram - 64, huge, 0, 0, KAN_EFAULT,
		  "length all ones near the end of RAM" },
		{ KAN_HC_CONSOLE_WRITE, ram - 64, neg, 0, 0, KAN_EFAULT,
		  "negative length near the end of RAM" },
		{ KAN_HC_CONSOLE_WRITE, (uint64_t)long_line, ram, 0, 0, KAN_EFAULT,
		  "length past the end of RAM, the first 4096 bytes inside it" },
		{ KAN_HC_CONSOLE_WRITE, (uint64_t)long_line, huge, 0, 0, KAN_EFAULT,
		  "length all ones from inside RAM" },
		{ KAN_HC_VM_INFO, ram, 0, 0, 0, KAN_EFAULT, "VM_INFO beyond RAM" },
		{ KAN_HC_VM_INFO, ram - 8, 0, 0, 0, KAN_EFAULT,
		  "VM_INFO straddling the end of RAM" },
		{ KAN_HC_VM_INFO, huge - 15, 0, 0, 0, KAN_EFAULT, "VM_INFO pointer wraps" },
		{ KAN_HC_VM_INFO, (uint64_t)info_buffer + 3, huge, huge, huge, 0,
		  "VM_INFO unaligned, garbage in the other registers" },
		{ KAN_HC_VERSION, huge, huge, huge, huge, KAN_ABI_VERSION,
		  "VERSION with garbage arguments" },
		{ KAN_HC_YIELD, huge, ram, huge, huge, 0, "YIELD with garbage arguments" },
	};
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		check(&calls[i], 1);

	const struct kan_vm_info *vi = (const struct kan_vm_info *)((char *)info_buffer + 3);
	guest_printf("hypercall-storm: VM_INFO at an unaligned address says vm %u, %lu KiB, '%s'\n",
		     vi->vm_id, vi->ram_size >> 10, vi->name);
}

/* One random call whose answer the ABI fixes. */
static struct call random_call(uint64_t *rng, uint64_t ram)
{
	uint64_t r = guest_random(rng), a = guest_random(rng), b = guest_random(rng);
	uint64_t c = guest_random(rng), d = guest_random(rng);
	uint64_t outside = ram + a % (~0ull - ram); /* any address from the end of RAM up */
	switch (r % 8) {
	case 0:
	case 1:
	case 2: { /* a number that is no hypercall: full 64-bit, or small */
		uint64_t nr = r % 3 == 0 ? 7 + (b & 0xffff) : b;
		if (nr <= KAN_HC_REPORT)
			nr += 7;
		return (struct call){ nr, a, c, d, b, KAN_ENOSYS, "garbage number" };
	}
	case 3:
		return (struct call){ KAN_HC_CONSOLE_WRITE,	  outside, b, c, d, KAN_EFAULT,
				      "console write outside RAM" };
	case 4: /* inside RAM, but the (capped) length runs past its end */
		return (struct call){
			KAN_HC_CONSOLE_WRITE, ram - 1 - (a & 0x7ff),	      b | 0x801, c, d,
			KAN_EFAULT,	      "console write running off RAM"
		};
	case 5:
		return (struct call){ KAN_HC_VM_INFO,	    outside, b, c, d, KAN_EFAULT,
				      "VM_INFO outside RAM" };
	case 6:
		return (struct call){ KAN_HC_VM_INFO, ram - 1 - (a & 0x1f),	b, c, d,
				      KAN_EFAULT,     "VM_INFO running off RAM" };
	default:
		return (struct call){ KAN_HC_VERSION,	     a, b, c, d, KAN_ABI_VERSION,
				      "VERSION with garbage" };
	}
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ram = info->ram_size, count = guest_arg(info, "count", 100000);
	uint64_t seed = guest_random_seed(guest_arg(info, "seed", 1)), rng = seed;
	uint64_t ms = guest_arg(info, "ms", 0);
	guest_printf("hypercall-storm: seed=%lu; crafted calls, then %lu random ones (at least "
		     "%lu ms)\n",
		     seed, count, ms);
	crafted_calls(ram);
	uint64_t crafted_wrong = wrong, done = 0, start = kan_time_ns();
	uint64_t end = start + ms * 1000000;
	while (done < count || kan_time_ns() < end) {
		for (unsigned i = 0; i < 1000; i++, done++) {
			struct call c = random_call(&rng, ram);
			check(&c, 0);
		}
	}
	uint64_t us = (kan_time_ns() - start) / 1000;
	guest_printf("hypercall-storm done: %lu random calls in %lu us (%lu per second), %lu wrong "
		     "answers (%lu of them to crafted calls)\n",
		     done, us, us ? done * 1000000 / us : 0, wrong, crafted_wrong);
	return wrong ? 1 : 0;
}
