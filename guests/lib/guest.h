/* The small library kan's 64-bit test guests share: console, hypercalls, timing. */
#ifndef KAN_GUEST_LIB_H
#define KAN_GUEST_LIB_H

#include <stdarg.h>
#include <stdint.h>

#include "kan_guest.h"

/* 1 where the hypercall instruction is VMMCALL (AMD, Hygon), 0 where it is VMCALL (Intel and
 * the rest): set once by the start-up code (start64.asm) from the CPUID vendor string. */
extern uint8_t guest_hypercall_vmmcall;

/* The hypercall instruction this CPU needs, with the operands of an extended asm statement
 * (written with their leading colon). The branch goes the same way every time. */
#define GUEST_HYPERCALL_ASM(...)                                                                   \
	do {                                                                                       \
		if (__builtin_expect(guest_hypercall_vmmcall, 0))                                  \
			__asm__ volatile("vmmcall" __VA_ARGS__);                                   \
		else                                                                               \
			__asm__ volatile("vmcall" __VA_ARGS__);                                    \
	} while (0)

static inline int64_t kan_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	int64_t ret;
	GUEST_HYPERCALL_ASM( : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
	return ret;
}

/* The same with the fourth argument in R10, for callers that fill every argument register. */
static inline int64_t kan_hypercall4(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
				     uint64_t a3)
{
	int64_t ret;
	register uint64_t r10 __asm__("r10") = a3;
	GUEST_HYPERCALL_ASM( : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10) : "memory");
	return ret;
}

static inline __attribute__((noreturn)) void kan_exit(int64_t status)
{
	kan_hypercall(KAN_HC_EXIT, (uint64_t)status, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void guest_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* Writes to the virtual UART at port 0x3f8, waiting (spinning) while its LSR says busy. */
void guest_putc(char c);
/* From now on guest_putc sends whole lines through KAN_HC_CONSOLE_WRITE instead, halting
 * while the VM's console budget is spent. A line so sent reaches kan's console at once,
 * even while the console is far behind (which makes the UART look busy), and waiting for
 * the budget costs no CPU time. */
void guest_console_use_hypercall(void);
void guest_puts(const char *s);
/* printf subset: %s %c %d %u %x %lu %ld %lx %%. */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_vprintf(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

static inline uint64_t kan_time_ns(void)
{
	return (uint64_t)kan_hypercall(KAN_HC_TIME_NS, 0, 0, 0);
}

/* The number after "key=" in the guest's arguments (after " -- " on its grub.cfg line), or
 * `fallback` when there is none. Decimal, or hexadecimal with a 0x prefix. */
uint64_t guest_arg(const struct kan_start_info *info, const char *key, uint64_t fallback);

/* Port I/O of each size; every port but the UART's is kan's to answer (all ones). */
static inline uint32_t guest_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;
	if (size == 1)
		__asm__ volatile("inb %w1, %b0" : "+a"(v) : "Nd"(port));
	else if (size == 2)
		__asm__ volatile("inw %w1, %w0" : "+a"(v) : "Nd"(port));
	else
		__asm__ volatile("inl %w1, %0" : "+a"(v) : "Nd"(port));
	return v;
}

static inline void guest_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("outb %b0, %w1" ::"a"(v), "Nd"(port));
	else if (size == 2)
		__asm__ volatile("outw %w0, %w1" ::"a"(v), "Nd"(port));
	else
		__asm__ volatile("outl %0, %w1" ::"a"(v), "Nd"(port));
}

static inline uint64_t guest_read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t guest_read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t guest_read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* A small seeded PRNG (xorshift64*): the same seed gives the same sequence, so a run that
 * prints its seed can be replayed. The state must not be 0; guest_random_seed makes sure. */
static inline uint64_t guest_random_seed(uint64_t seed)
{
	return seed ? seed : 0x6b616e2d66757a7aull;
}

static inline uint64_t guest_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/*
 * EXCEPTIONS (guests/lib/trap.c, trap_stubs.asm)
 *
 * kan starts a guest with no IDT, so its first exception is a triple fault. A guest that
 * wants to survive (and count) exceptions calls guest_trap_install() once: it loads an IDT
 * whose vectors 0-31 all enter one handler. The handler adds one to guest_trap_counts[vector],
 * records the exception in guest_last_trap and then resumes at the first of:
 *   1. a guarded instruction's landing: GUEST_TRY_ASM(insn, operands) runs `insn` (an asm
 *      template, usually one instruction); if it faults, execution continues right after
 *      it and the macro's value is the vector, else GUEST_NO_TRAP. Cheap: no call.
 *        int v = GUEST_TRY_ASM("vmxon %0", : : "m"(region) : "memory");
 *      The operand list is that of an extended asm statement, written with its leading
 *      colon; give at least `: : : "memory"`. Do not use the local label 9001 in `insn`.
 *   2. the innermost guest_try(fn, arg): fn(arg) runs; an exception anywhere inside it (and
 *      the functions it calls) abandons fn, and guest_try returns the vector; it returns
 *      GUEST_NO_TRAP when fn returns. Callee-saved registers are restored; memory fn wrote
 *      stays written. Nested guest_try calls are fine.
 *   3. otherwise the exception was not expected: the handler prints the vector, error code,
 *      RIP, RSP and CR2 and ends the VM with status GUEST_TRAP_EXIT_STATUS + vector.
 * Interrupts stay off: the IDT has only the exception vectors.
 */
#define GUEST_NO_TRAP	       (-1)
#define GUEST_TRAP_EXIT_STATUS 100
#define GUEST_VECTOR_UD	       6
#define GUEST_VECTOR_GP	       13
#define GUEST_VECTOR_PF	       14

struct guest_trap {
	int32_t vector; /* GUEST_NO_TRAP until the first exception */
	uint32_t reserved;
	uint64_t error_code; /* 0 for vectors without one */
	uint64_t rip;	     /* where the faulting instruction was */
};

extern volatile struct guest_trap guest_last_trap;
extern volatile uint64_t guest_trap_counts[32];
extern volatile uint64_t guest_trap_landing; /* armed by GUEST_TRY_ASM, cleared after */

void guest_trap_install(void);
int guest_try(void (*fn)(void *arg), void *arg);
uint64_t guest_trap_total(void);	   /* exceptions of every vector so far */
const char *guest_vector_name(int vector); /* "#GP", "#UD", ..., "no exception" */

/* The absolute addresses fit a sign-extended 32-bit immediate: guests link at 1 MiB. */
#define GUEST_GUARDED(insn)                                                                        \
	"movq $9001f, guest_trap_landing\n\t" insn "\n9001:\n\tmovq $0, guest_trap_landing"
#define GUEST_TRY_ASM(insn, ...)                                                                   \
	({                                                                                         \
		guest_last_trap.vector = GUEST_NO_TRAP;                                            \
		__asm__ volatile(GUEST_GUARDED(insn) __VA_ARGS__);                                 \
		(int)guest_last_trap.vector;                                                       \
	})

/* Privileged accesses that may fault: each returns GUEST_NO_TRAP or the vector. */
int guest_rdmsr_safe(uint32_t msr, uint64_t *value);
int guest_wrmsr_safe(uint32_t msr, uint64_t value);
int guest_write_cr0_safe(uint64_t value);
int guest_write_cr3_safe(uint64_t value);
int guest_write_cr4_safe(uint64_t value);
int guest_write_cr8_safe(uint64_t value);

/* Each test guest defines this; its return value is the exit status. */
int64_t guest_main(const struct kan_start_info *info);

#endif
