/*
 * A lock held by a vCPU that does not run (tests/scenarios/test_pause_loop.py): vcpus=2 on one
 * CPU take a ticket lock in turn, each waiting for the other with PAUSE. With a fair lock
 * every hand-over needs the waiting vCPU to leave the CPU to the holder: at the end of its
 * slice, or at once where kan yields on a PAUSE loop. vCPU 0 starts vCPU 1 with INIT and
 * start-up IPIs through its local APIC; vCPU 1 stays in real mode (the code at the end).
 * Arguments: handovers=N (default 400), work=N turns of a loop under the lock (default 200).
 */
#include <stdbool.h>

#include "guest.h"

#define SHARED	 0x9000 /* kan_guest.h: free for the guest; vCPU 1 reaches it with DS = 0 */
#define AP_CODE	 0xa000 /* where vCPU 1 starts: start-up IPI vector 0x0a */
#define AP_START (AP_CODE >> 12)

/* The shared page. vCPU 1's assembly names the fields by these offsets. */
#define NEXT_TICKET 0x00
#define NOW_SERVING 0x04
#define LAST_HOLDER 0x08 /* the vCPU that last held the lock */
#define HANDOVERS   0x0c /* times the lock went from one vCPU to the other */
#define STOP	    0x10 /* set by vCPU 0, holding the lock, when it has seen enough */
#define AP_STARTED  0x14
#define AP_DONE	    0x18
#define AP_TAKEN    0x1c /* times vCPU 1 took the lock */
#define AP_SPINS    0x20 /* turns of vCPU 1's wait loop (a PAUSE each) */
#define WORK	    0x24 /* turns of the loop that stands for work under the lock */

#define STR(x)	   #x
#define XSTR(x)	   STR(x)
#define FIELD(off) XSTR(SHARED + off)

static volatile uint32_t *field(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(SHARED + offset);
}

/* xAPIC registers (Intel SDM Vol. 3A, 11.6.1): ICR high holds the destination. */
#define APIC_SVR      0xf0
#define APIC_ICR_LOW  0x300
#define APIC_ICR_HIGH 0x310
#define ICR_INIT      0x4500 /* INIT, level assert */
#define ICR_STARTUP   0x4600
#define ICR_PENDING   (1u << 12)

static void apic_write(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(KAN_LAPIC_BASE + reg) = value;
}

static uint32_t apic_read(unsigned reg)
{
	return *(volatile uint32_t *)(uintptr_t)(KAN_LAPIC_BASE + reg);
}

static void send_ipi(unsigned apic_id, uint32_t command)
{
	apic_write(APIC_ICR_HIGH, apic_id << 24);
	apic_write(APIC_ICR_LOW, command);
	while (apic_read(APIC_ICR_LOW) & ICR_PENDING)
		__asm__ volatile("pause");
}

extern const char ap16_start[], ap16_end[];

static void start_vcpu1(void)
{
	char *to = (char *)(uintptr_t)AP_CODE;
	for (const char *from = ap16_start; from < ap16_end; from++)
		*to++ = *from;
	apic_write(APIC_SVR, 0x1ff); /* software-enabled, spurious vector 0xff */
	send_ipi(1, ICR_INIT);
	send_ipi(1, ICR_STARTUP | AP_START);
	send_ipi(1, ICR_STARTUP | AP_START); /* the second one, as the SDM's sequence has it */
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint32_t want = (uint32_t)guest_arg(info, "handovers", 400);
	uint32_t work = (uint32_t)guest_arg(info, "work", 200);
	*field(WORK) = work ? work : 1; /* vCPU 1's loop counts down before it tests */
	if (info->vcpus < 2) {
		guest_printf("spinlock: needs vcpus=2, has %u\n", info->vcpus);
		return 1;
	}
	/* Interrupts on, though none comes (nothing is programmed to send one): Bochs's AMD-V
	 * (cpu model ryzen) lets no host interrupt end a guest's turn while its IF is 0. */
	__asm__ volatile("sti");
	start_vcpu1();
	uint64_t spins = 0, taken = 0;
	while (!*field(AP_STARTED))
		__asm__ volatile("pause");
	for (;;) {
		uint32_t ticket = __atomic_fetch_add(field(NEXT_TICKET), 1, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(field(NOW_SERVING), __ATOMIC_ACQUIRE) != ticket) {
			__asm__ volatile("pause");
			spins++;
		}
		if (*field(LAST_HOLDER) != 0) {
			*field(LAST_HOLDER) = 0;
			(*field(HANDOVERS))++;
		}
		taken++;
		for (volatile uint32_t i = *field(WORK); i; i--)
			;
		bool enough = *field(HANDOVERS) >= want;
		if (enough)
			*field(STOP) = 1;
		__atomic_store_n(field(NOW_SERVING), ticket + 1, __ATOMIC_RELEASE);
		if (enough)
			break;
	}
	while (!*field(AP_DONE))
		__asm__ volatile("pause");
	guest_printf("spinlock: %u hand-overs; vCPU 0 took the lock %lu times and waited %lu "
		     "turns, vCPU 1 took it %u times and waited %u turns\n",
		     *field(HANDOVERS), taken, spins, *field(AP_TAKEN), *field(AP_SPINS));
	return 0;
}

/* vCPU 1, copied to AP_CODE and started there in real mode with DS = 0 by vCPU 0. */
/* clang-format off: it cannot lay out string literals with macros between them */
__asm__(".section .rodata\n"
	".code16\n"
	".globl ap16_start, ap16_end\n"
	"ap16_start:\n"
	"	sti\n" /* as vCPU 0 does */
	"	xorw %ax, %ax\n"
	"	movw %ax, %ds\n"
	"	lock incl " FIELD(AP_STARTED) "\n"
					      "1:	movl $1, %eax\n"
					      "	lock xaddl %eax, " FIELD(
						      NEXT_TICKET) "\n"
								   /* While vCPU 0 holds the lock
								    * only these run: a loop that
								    * PAUSE-loop exiting (or the
								    * pause filter, or kan's
								    * heuristic) recognizes. */
								   "2:	cmpl " FIELD(
									   NOW_SERVING) ", %eax\n"
											"	je "
											"3f\n"
											"	pau"
											"se\n"
											"	inc"
											"l " FIELD(
												AP_SPINS) "\n"
													  "	jmp"
													  " 2b\n"
													  "3:	"
													  "cmpl "
													  "$1,"
													  " " FIELD(
														  LAST_HOLDER) "\n"
															       "	je 4f\n"
															       "	movl $1, " FIELD(LAST_HOLDER) "\n"
																				      "	incl " FIELD(HANDOVERS) "\n"
																								"4:	incl " FIELD(AP_TAKEN) "\n"
																											       "	movl " FIELD(WORK) ", %ecx\n"
																															   "5:	decl %ecx\n"
																															   "	jnz 5b\n"
																															   "	incl " FIELD(NOW_SERVING) "\n" /* the release: only the holder writes it */
																																			  "	cmpl $0, " FIELD(
																																				  STOP) "\n"
																																					"	je 1b\n"
																																					"	lock incl " FIELD(AP_DONE) "\n"
																																									   /* vCPU 0 ends the VM; until then this vCPU only gives its CPU away. */
																																									   "6:	pause\n"
																																									   "	jmp 6b\n"
																																									   "ap16_end:\n"
																																									   ".code64\n"
																																									   ".previous\n");
/* clang-format on */
