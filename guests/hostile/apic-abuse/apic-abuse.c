/*
 * Hostile: a VM with two vCPUs (vcpus=2) abuses its virtual local APICs. It starts its AP with
 * INIT-SIPI-SIPI, then, one attack after the other, sends fixed IPIs with vectors 0-15, IPIs
 * to destinations nobody has, x2APIC MSRs in xAPIC mode and the mode changes the SDM forbids,
 * storms of self IPIs in both modes, start-up IPIs with wild vectors to a running and to a
 * waiting AP, an INIT from the AP to itself, and a periodic LVT timer with an initial count of
 * 1 (divide by 1) until ms= after its start. Each attack prints one line saying what the
 * architecture (Intel SDM Vol. 3A ch. 11) says happens and what did, ending in ": ok" or
 * ": WRONG". XMM7 holds a value on each vCPU across all of it.
 *   -- ipis=N       self IPIs per storm (two storms)          [default 50000]
 *   -- ms=N         the timer attack lasts until N ms after the start  [default 1500]
 *   -- at_ms=N      instead: start the AP, wait until kan's clock reads N ms, and send INIT
 *                   to the BSP itself: kan resets the VM; the run that starts after N ms
 *                   checks that it starts fresh, runs the timer attack for 300 ms and ends
 *   -- x2apic_mmio=1  instead: read the xAPIC page in x2APIC mode (kan stops the VM there)
 *   -- timer_ms=N   instead: the timer attack alone, for N ms
 * Ends with status 0 if every attack had the documented outcome.
 */
#include "apic.h"

#define YIELDS		 200 /* a bounded wait for the AP: it answers within a yield or two */
#define YIELDS_NO_ANSWER 5   /* how long to wait for an answer that must not come */

static unsigned checks, wrong;
static const struct xmm bsp_pattern = { 0x4253502d786d6d37ull, 0xfedcba9876543210ull };

/* One attack's line: what was done and what happened, then whether that is what the SDM
 * says must happen. Lines stay under 200 bytes, where kan would split them. */
static void say(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int ok, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	checks++;
	wrong += !ok;
	guest_printf("apic-abuse: ");
	guest_vprintf(fmt, args);
	guest_printf(": %s\n", ok ? "ok" : "WRONG");
	va_end(args);
}

static void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static int xmm7_is(const struct xmm *want)
{
	struct xmm x;
	xmm7_store(&x);
	return x.lo == want->lo && x.hi == want->hi;
}

static int start_ap(void)
{
	ap_copy_trampoline();
	ap_send_init();
	ap_send_sipi(TRAMPOLINE_VECTOR);
	ap_send_sipi(TRAMPOLINE_VECTOR); /* the second, as the SDM's sequence has it: ignored */
	int up = ap_wait_boots(1, YIELDS) == 0;
	for (int i = 0; i < 3; i++)
		yield(); /* time for a second start, which must not happen */
	return up;
}

static void attack_illegal_vectors(void)
{
	unsigned refused = 0;
	uint64_t errors = irq_counts[0][VECTOR_ERROR], ap_before = irq_total(1);
	sti();
	for (uint32_t v = 0; v < 16; v++) {
		send_ipi(ICR_FIXED | v, 1);
		refused += esr_read() == ESR_SEND_ILLEGAL;
		send_ipi(ICR_FIXED | ICR_SELF | v, 0);
		refused += esr_read() == ESR_SEND_ILLEGAL;
	}
	cli();
	errors = irq_counts[0][VECTOR_ERROR] - errors;
	uint32_t irr = xapic_read(0x200) & 0xffff; /* vectors 0-15 in my IRR: accepted after all */
	int alive = ap_command(AP_PING, 0, YIELDS) == 0;
	uint64_t delivered = irq_total(1) - ap_before - 1; /* the ping's doorbell */
	say(refused == 32 && errors == 32 && alive && delivered == 0 && irr == 0,
	    "fixed IPIs with vectors 0-15 (16 to the AP, 16 to myself): %u of 32 refused with ESR "
	    "0x20, %lu error interrupts, %lu delivered, IRR 0x%x, the AP %s",
	    refused, errors, delivered, irr, alive ? "answers" : "DOES NOT ANSWER");

	/* An LVT entry with an illegal vector: the receiving side's error (SDM 11.5.3). */
	errors = irq_counts[0][VECTOR_ERROR];
	xapic_write(APIC_TIMER_DCR, 0xb);
	xapic_write(APIC_LVT_TIMER, 2);
	xapic_write(APIC_TIMER_ICR, 100);
	for (int i = 0; i < YIELDS && xapic_read(0x390) != 0; i++)
		yield();
	sti();
	uint32_t esr = esr_read();
	cli();
	errors = irq_counts[0][VECTOR_ERROR] - errors;
	xapic_write(APIC_LVT_TIMER, LVT_MASKED);
	say(esr == ESR_RECV_ILLEGAL && errors == 1 && guest_trap_counts[2] == 0,
	    "LVT timer with vector 2: ESR 0x%x, %lu error interrupt(s), %lu NMIs", esr, errors,
	    guest_trap_counts[2]);
}

static void attack_nobody(int x2)
{
	uint64_t ap_before = irq_total(1);
	sti();
	if (x2) {
		send_ipi(ICR_FIXED | VECTOR_NOBODY, 200);
		send_ipi(ICR_FIXED | VECTOR_NOBODY, 0x12345678);
		send_ipi(ICR_FIXED | ICR_LOGICAL | VECTOR_NOBODY, 0x00050001); /* cluster 5 */
	} else {
		send_ipi(ICR_FIXED | VECTOR_NOBODY, 200);
		send_ipi(ICR_FIXED | ICR_LOGICAL | VECTOR_NOBODY, 0x80); /* LDRs are 0x01, 0x02 */
	}
	uint32_t esr = esr_read();
	uint32_t icr = x2 ? (uint32_t)rdmsr(X2APIC_MSR(APIC_ICR_LOW)) : xapic_read(APIC_ICR_LOW);
	cli();
	int alive = ap_command(AP_PING, 0, YIELDS) == 0;
	uint64_t delivered = irq_counts[0][VECTOR_NOBODY] + irq_counts[1][VECTOR_NOBODY];
	if (x2) {
		say(esr == 0 && !(icr & ICR_BUSY) && delivered == 0 && alive,
		    "x2APIC IPIs to APIC IDs 200 and 0x12345678 and logical 0x50001 (nobody): %lu "
		    "delivered, ESR 0x%x, ICR %s",
		    delivered, esr, icr & ICR_BUSY ? "BUSY" : "idle");
		return;
	}
	/* The control: the AP's logical ID is reached the same way. */
	send_ipi(ICR_FIXED | ICR_LOGICAL | (VECTOR_NOBODY + 1), 0x02);
	alive = alive && ap_command(AP_PING, 0, YIELDS) == 0;
	uint64_t control = irq_counts[1][VECTOR_NOBODY + 1];
	say(esr == 0 && !(icr & ICR_BUSY) && delivered == 0 && control == 1 && alive &&
		    irq_total(1) - ap_before == 3,
	    "IPIs to APIC ID 200 and to logical 0x80 (nobody): %lu delivered, ESR 0x%x, ICR %s; "
	    "logical 0x02 reached the AP %lu time(s)",
	    delivered, esr, icr & ICR_BUSY ? "BUSY" : "idle", control);
}

/* ICR delivery modes a VM has nothing for: SMI, and the reserved 3 and 7 (SDM Figure 11-12). */
static void attack_odd_modes(void)
{
	uint64_t ap_before = irq_total(1), bsp_before = irq_total(0);
	sti();
	send_ipi((2u << 8) | VECTOR_NOBODY, 1);
	send_ipi((3u << 8) | VECTOR_NOBODY, 1);
	send_ipi((7u << 8) | VECTOR_NOBODY, 1);
	send_ipi((7u << 8) | ICR_SELF | VECTOR_NOBODY, 0);
	yield();
	cli();
	int alive = ap_command(AP_PING, 0, YIELDS) == 0;
	uint64_t delivered = irq_total(1) - ap_before - 1 + irq_total(0) - bsp_before;
	say(alive && delivered == 0,
	    "ICR delivery modes SMI, 3 and 7 (reserved) to the AP, 7 to myself: %lu delivered, the "
	    "AP %s",
	    delivered, alive ? "answers" : "DOES NOT ANSWER");
}

static unsigned expect_gp(int vector)
{
	return vector == GUEST_VECTOR_GP;
}

static void attack_x2apic_msrs(void)
{
	uint64_t value;
	unsigned gp = 0;
	gp += expect_gp(guest_rdmsr_safe(X2APIC_MSR(APIC_ID), &value));
	gp += expect_gp(guest_rdmsr_safe(X2APIC_MSR(0x080), &value)); /* TPR */
	gp += expect_gp(guest_wrmsr_safe(X2APIC_MSR(APIC_ICR_LOW), 1ull << 32 | VECTOR_NOBODY));
	gp += expect_gp(guest_wrmsr_safe(X2APIC_SELF_IPI, VECTOR_NOBODY));
	sti();
	yield();
	cli();
	uint64_t delivered = irq_counts[0][VECTOR_NOBODY] + irq_counts[1][VECTOR_NOBODY];
	say(gp == 4 && delivered == 0,
	    "x2APIC MSRs in xAPIC mode (RDMSR 0x802 and 0x808, WRMSR 0x830 and 0x83f): %u #GP of "
	    "4, %lu delivered",
	    gp, delivered);

	uint64_t base = rdmsr(MSR_APIC_BASE);
	int entered = guest_wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EXTD) == GUEST_NO_TRAP;
	x2apic_on[0] = entered;
	uint64_t id = ~0ull;
	if (entered) {
		wrmsr(X2APIC_MSR(APIC_SVR), 0x100 | VECTOR_SPURIOUS);
		wrmsr(X2APIC_MSR(APIC_LVT_ERROR), VECTOR_ERROR);
		id = rdmsr(X2APIC_MSR(APIC_ID));
	}
	base = rdmsr(MSR_APIC_BASE);
	gp = 0;
	gp += expect_gp(guest_wrmsr_safe(X2APIC_MSR(APIC_EOI), 1));
	gp += expect_gp(guest_wrmsr_safe(X2APIC_MSR(APIC_ID), 5));
	gp += expect_gp(guest_rdmsr_safe(X2APIC_MSR(APIC_ICR_HIGH), &value));
	gp += expect_gp(guest_rdmsr_safe(X2APIC_MSR(APIC_EOI), &value));
	gp += expect_gp(guest_wrmsr_safe(MSR_APIC_BASE, base & ~APIC_BASE_EXTD));
	gp += expect_gp(guest_wrmsr_safe(MSR_APIC_BASE, base & ~APIC_BASE_EN));
	gp += expect_gp(guest_wrmsr_safe(MSR_APIC_BASE, (base & 0xfff) | 0xfed00000));
	int still = (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) != 0;
	say(entered && id == 0 && gp == 7 && still,
	    "in x2APIC mode (ID %lu by MSR 0x802): EOI of 1, an ID write, RDMSR 0x831 and 0x80b, "
	    "x2APIC to xAPIC directly, EXTD without EN, a moved base: %u #GP of 7, %s",
	    id, gp, still ? "still x2APIC" : "NOT x2APIC ANY MORE");
}

static void attack_x2apic_vectors(void)
{
	unsigned refused = 0;
	send_ipi(ICR_FIXED | 3, 1);
	refused += esr_read() == ESR_SEND_ILLEGAL;
	int gp = guest_wrmsr_safe(X2APIC_SELF_IPI, 3);
	refused += esr_read() == ESR_SEND_ILLEGAL;
	say(refused == 2 && gp == GUEST_NO_TRAP && guest_trap_counts[3] == 0,
	    "x2APIC vector 3 by ICR to the AP and by SELF IPI: %u of 2 refused with ESR 0x20, %s, "
	    "%lu #BP",
	    refused, guest_vector_name(gp), guest_trap_counts[3]);
}

/* `count` self IPIs, each taken and EOI'd by the handler before the next is sent. */
static void storm(uint64_t count, int x2)
{
	uint64_t before = irq_counts[0][VECTOR_SELF], late = 0;
	sti();
	for (uint64_t i = 0; i < count; i++) {
		if (x2)
			wrmsr(X2APIC_SELF_IPI, VECTOR_SELF);
		else
			xapic_write(APIC_ICR_LOW, ICR_FIXED | ICR_SELF | VECTOR_SELF);
		late += irq_counts[0][VECTOR_SELF] - before != i + 1;
	}
	yield();
	cli();
	uint64_t taken = irq_counts[0][VECTOR_SELF] - before;
	say(taken == count,
	    "self-IPI storm by %s: %lu sent, %lu taken and EOI'd (%lu not yet taken right after "
	    "their write)",
	    x2 ? "x2APIC SELF IPI" : "xAPIC ICR self", count, taken, late);
}

static void leave_x2apic(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	int off = guest_wrmsr_safe(MSR_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
	int on = guest_wrmsr_safe(MSR_APIC_BASE, (base & ~APIC_BASE_EXTD) | APIC_BASE_EN);
	x2apic_on[0] = 0;
	apic_setup_xapic(0x01);
	uint32_t id = xapic_read(APIC_ID);
	say(off == GUEST_NO_TRAP && on == GUEST_NO_TRAP && id == 0,
	    "x2APIC -> disabled -> xAPIC: %s, %s, ID 0x%x at 0xfee00020", guest_vector_name(off),
	    guest_vector_name(on), id);
}

static int landing_after(uint16_t count)
{
	for (int i = 0; i < YIELDS && *LANDING_COUNT < count; i++)
		yield();
	return *LANDING_COUNT >= count;
}

static void copy_landing_pads(void)
{
	extern const char landing_pad[], landing_pad_end[];
	uint8_t *at_zero; /* address 0: hidden from the compiler, for which it is null */
	__asm__("" : "=r"(at_zero) : "0"(0ul));
	uint8_t *at_ff = (uint8_t *)0xff000;
	for (long i = 0; i < landing_pad_end - landing_pad; i++)
		at_zero[i] = at_ff[i] = (uint8_t)landing_pad[i];
	*LANDING_COUNT = 0;
	*LANDING_CS = 0xffff;
}

static void attack_sipi(void)
{
	copy_landing_pads();
	ap_send_sipi(0xff); /* to a running AP: ignored */
	for (int i = 0; i < 3; i++)
		yield();
	int answers = ap_command(AP_PING, 0, YIELDS) == 0;
	say(answers && ap.boots == 1 && *LANDING_COUNT == 0,
	    "SIPI 0xff to the running AP: ignored (it %s, booted %lu time(s), landing pads hit %u "
	    "times)",
	    answers ? "answers" : "DOES NOT ANSWER", ap.boots, *LANDING_COUNT);

	ap_send_init();
	int stopped = ap_command(AP_PING, 0, YIELDS_NO_ANSWER) != 0;
	ap_send_sipi(0xff);
	int at_ff = landing_after(1);
	uint16_t cs_ff = *LANDING_CS;
	ap_send_init();
	ap_send_sipi(0x00);
	int at_0 = landing_after(2);
	uint16_t cs_0 = *LANDING_CS;
	ap_send_init();
	ap_send_sipi(TRAMPOLINE_VECTOR);
	int back = ap_wait_boots(2, YIELDS) == 0 && ap_command(AP_PING, 0, YIELDS) == 0;
	say(stopped && at_ff && cs_ff == 0xff00 && at_0 && cs_0 == 0 && back && ap.boots == 2,
	    "INIT to the AP: it %s; SIPI 0xff started it with CS 0x%x, SIPI 0x00 with CS 0x%x, "
	    "SIPI 0x10 at its start-up code again (booted %lu times)",
	    stopped ? "stops answering" : "STILL ANSWERS", cs_ff, cs_0, ap.boots);
}

static void attack_init_self(void)
{
	ap.after_init = 0;
	int answered = ap_command(AP_INIT_SELF, 0, YIELDS_NO_ANSWER) == 0;
	int silent = ap_command(AP_PING, 0, YIELDS_NO_ANSWER) != 0;
	ap_send_sipi(TRAMPOLINE_VECTOR);
	int back = ap_wait_boots(3, YIELDS) == 0 && ap_command(AP_PING, 0, YIELDS) == 0;
	say(!answered && !ap.after_init && silent && back && ap.boots == 3 && ap.xmm_zero_at_start,
	    "the AP sent INIT to itself: it %s, %s; SIPI 0x10 restarted it (booted %lu times, "
	    "XMM %s at its start)",
	    ap.after_init ? "RAN ON AFTER THE WRITE" : "stopped at the write",
	    silent ? "waited for SIPI" : "STILL ANSWERED", ap.boots,
	    ap.xmm_zero_at_start ? "zero" : "NOT ZERO");
}

/* A periodic timer as fast as it can be asked for, until `until_ns` of kan's clock. */
static void attack_timer(uint64_t until_ns)
{
	uint64_t before = irq_counts[0][VECTOR_TIMER], start = kan_time_ns(), now = start;
	xapic_write(APIC_TIMER_DCR, 0xb); /* divide by 1 */
	xapic_write(APIC_LVT_TIMER, LVT_TIMER_PERIODIC | VECTOR_TIMER);
	xapic_write(APIC_TIMER_ICR, 1);
	uint64_t eois = 0, turns = 0;
	/* kan's clock (a hypercall) only every 64 turns: the loop itself must not be what
	 * limits the rate of the interrupts. */
	while ((turns++ & 63) || (now = kan_time_ns()) < until_ns || now - start < 100000000) {
		/* One interrupt at most per turn: the handler leaves it in service (apic.c). */
		__asm__ volatile("sti; nop; cli" ::: "memory");
		if (irq_counts[0][VECTOR_TIMER] - before > eois) {
			xapic_write(APIC_EOI, 0);
			eois++;
		}
	}
	xapic_write(APIC_LVT_TIMER, LVT_MASKED);
	xapic_write(APIC_TIMER_ICR, 0);
	uint64_t fired = irq_counts[0][VECTOR_TIMER] - before;
	if (fired > eois)
		xapic_write(APIC_EOI, 0);
	sti();
	uint64_t us = (now - start) / 1000, allowed = us / 100 + 2;
	for (int i = 0; i < 3; i++)
		yield();
	cli();
	uint64_t after = irq_counts[0][VECTOR_TIMER] - before - fired;
	if (after)
		xapic_write(APIC_EOI, 0);
	say(fired >= 1 && fired <= allowed && after <= 1,
	    "LVT timer periodic, initial count 1, divide by 1, for %lu ms: %lu interrupts, at "
	    "most %lu allowed (one per 100 us); %lu after it was stopped",
	    us / 1000, fired, allowed, after);
}

/* SSE on (CR0.MP, CR4.OSFXSR and OSXMMEXCPT; EM and TS off), so that XMM7 can hold a value. */
static void sse_on(void)
{
	uint64_t cr0 = (guest_read_cr0() & ~(uint64_t)0xc) | 0x2;
	guest_write_cr0_safe(cr0);
	guest_write_cr4_safe(guest_read_cr4() | 0x600);
}

static int xmm7_zero(void)
{
	const struct xmm zero = { 0, 0 };
	return xmm7_is(&zero);
}

/* -- at_ms=N: the run before at_ms sends INIT to the BSP; the run after checks it is fresh. */
static int64_t init_bsp(uint64_t at_ms, int fresh_xmm)
{
	uint64_t now_ms = kan_time_ns() / 1000000, base = rdmsr(MSR_APIC_BASE);
	uint32_t svr = xapic_read(APIC_SVR);
	if (now_ms >= at_ms) {
		int up = start_ap() && ap.boots == 1 && ap.apic_id == 1;
		say(fresh_xmm && base == 0xfee00900 && svr == 0xff && up,
		    "started again after INIT to myself (kan's clock %lu ms, past %lu): XMM7 %s, "
		    "IA32_APIC_BASE 0x%lx, SVR 0x%x, the AP %s",
		    now_ms, at_ms, fresh_xmm ? "zero" : "NOT ZERO", base, svr,
		    up ? "started again" : "DID NOT START");
		/* Alone on its CPU now (the scenario's other guests there have ended): nothing but
		 * kan's floor on the period limits the timer's rate. */
		apic_setup_xapic(0x01);
		attack_timer(kan_time_ns() + 300000000);
		return wrong ? 1 : 0;
	}
	apic_setup_xapic(0x01);
	int up = start_ap();
	xmm7_load(&bsp_pattern);
	say(up, "first run (kan's clock %lu ms): the AP %s; INIT to myself when it reads %lu ms",
	    now_ms, up ? "is up" : "DID NOT START", at_ms);
	while (kan_time_ns() / 1000000 < at_ms)
		yield();
	guest_printf("apic-abuse: INIT to myself (APIC ID 0)\n");
	send_ipi(ICR_INIT | ICR_ASSERT, 0);
	for (int i = 0; i < YIELDS; i++)
		yield();
	say(0, "INIT to myself did not reset the VM");
	return 1;
}

/* -- x2apic_mmio=1: the xAPIC page is no device in x2APIC mode; kan_guest.h says touching an
 * address that is not RAM or a device stops the VM. */
static int64_t x2apic_mmio(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	x2apic_on[0] = 1;
	guest_printf("apic-abuse: in x2APIC mode, reading the xAPIC page at 0xfee00020\n");
	uint32_t id = xapic_read(APIC_ID);
	say(0, "the xAPIC page read 0x%x in x2APIC mode and I ran on", id);
	return 1;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t start = kan_time_ns();
	guest_console_use_hypercall();
	guest_trap_install();
	idt_install();
	sse_on();
	int fresh_xmm = xmm7_zero();
	if (guest_arg(info, "at_ms", 0))
		return init_bsp(guest_arg(info, "at_ms", 3000), fresh_xmm);
	if (guest_arg(info, "x2apic_mmio", 0))
		return x2apic_mmio();
	if (guest_arg(info, "timer_ms", 0)) { /* the timer attack alone */
		apic_setup_xapic(0x01);
		attack_timer(kan_time_ns() + guest_arg(info, "timer_ms", 0) * 1000000);
		return wrong ? 1 : 0;
	}
	uint64_t ipis = guest_arg(info, "ipis", 50000), ms = guest_arg(info, "ms", 1500);
	xmm7_load(&bsp_pattern);
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t id = xapic_read(APIC_ID) >> 24;
	say(info->vcpus >= 2 && base == 0xfee00900 && id == 0 && fresh_xmm,
	    "vCPU 0 of %u: APIC ID %u, IA32_APIC_BASE 0x%lx, XMM7 %s at entry", info->vcpus, id,
	    base, fresh_xmm ? "zero" : "NOT ZERO");
	apic_setup_xapic(0x01);
	int up = start_ap();
	say(up && ap.boots == 1 && ap.apic_id == 1 && ap.apic_base == 0xfee00800 &&
		    ap.xmm_zero_at_start,
	    "AP started by INIT-SIPI-SIPI: APIC ID %u, IA32_APIC_BASE 0x%lx, booted %lu time(s), "
	    "XMM7 %s at its start",
	    ap.apic_id, ap.apic_base, ap.boots, ap.xmm_zero_at_start ? "zero" : "NOT ZERO");
	if (!up)
		return 1;
	int pong = ap_command(AP_PING, 0, YIELDS) == 0;
	say(pong && irq_counts[1][VECTOR_DOORBELL] == 1,
	    "the AP answers a fixed IPI (vector 0x42, its doorbell): taken %lu time(s)",
	    irq_counts[1][VECTOR_DOORBELL]);

	attack_illegal_vectors();
	attack_nobody(0);
	attack_odd_modes();
	attack_x2apic_msrs();
	attack_x2apic_vectors();
	attack_nobody(1);
	storm(ipis, 1);
	leave_x2apic();
	storm(ipis, 0);
	attack_sipi();
	attack_init_self();
	attack_timer(start + ms * 1000000);

	int bsp_kept = xmm7_is(&bsp_pattern);
	int ap_kept = ap_command(AP_CHECK_XMM, 0, YIELDS) == 0 && ap.xmm_kept;
	say(bsp_kept && ap_kept, "XMM7 across every attack: the BSP's %s, the AP's %s",
	    bsp_kept ? "kept" : "CHANGED", ap_kept ? "kept" : "CHANGED");
	uint64_t gp = guest_trap_counts[GUEST_VECTOR_GP], other = guest_trap_total() - gp;
	say(gp == 11 && other == 0, "exceptions: %lu #GP (11 expected), %lu other", gp, other);
	guest_printf("apic-abuse done: %u checks, %u wrong, in %lu ms of kan's time\n", checks,
		     wrong, (kan_time_ns() - start) / 1000000);
	return wrong ? 1 : 0;
}
