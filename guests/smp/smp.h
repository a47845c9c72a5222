/*
 * The SMP test guest (issue 15): a VM with vcpus=N starts its APs with INIT-SIPI-SIPI, ping-pongs
 * IPIs in xAPIC and x2APIC mode and checks the local APIC timer in its three modes, all bounded
 * by the TSC. The same objects also boot bare (guests/smp/bare/), so that a failure under kan is
 * kan's. Every line it prints starts with "smp: ".
 */
#ifndef SMP_GUEST_H
#define SMP_GUEST_H

#include "guest.h"

#define SMP_MAX_CPUS	    16
#define SMP_TRAMPOLINE_ADDR 0x9000 /* kan_guest.h: free for the guest; SIPI vector 0x09 */
#define SMP_AP_PARAMS_ADDR  0x9f00 /* struct smp_ap_params, read by trampoline.asm */
#define SMP_AP_STACK_SIZE   16384

/* Vectors: one priority class each, so no interrupt blocks another's kind. The watchdog is
 * above the rest, so a vector left in service (a lost EOI) cannot keep the BSP halted. */
#define VECTOR_PING	0x40 /* BSP -> AP */
#define VECTOR_PONG	0x50 /* AP -> BSP */
#define VECTOR_WAKE	0x60 /* "look at your command" (BSP -> AP) or "done" (AP -> BSP) */
#define VECTOR_TIMER	0x70 /* the LAPIC timer under test */
#define VECTOR_WATCHDOG 0xe0 /* the BSP's periodic wake-up while it halts */
#define VECTOR_SPURIOUS 0xff

/* What the BSP asks an AP to do (struct smp_cpu.command); a failure ends the run there. */
enum smp_command {
	CMD_NONE,
	CMD_X2APIC, /* switch this CPU's APIC to x2APIC mode */
	CMD_TIMERS, /* run the timer tests */
	CMD_CHECK,  /* check the SSE register kept since start-up */
};

/* One per vCPU; GS base points at it, so a handler finds its CPU without an APIC access. */
struct smp_cpu {
	struct smp_cpu *self; /* at GS:0 */
	uint32_t index;	      /* 0 for the BSP; APIC ID = index (kan's contract, QEMU's too) */
	uint32_t apic_id;     /* as read from its own APIC */
	int x2apic;	      /* 1 once IA32_APIC_BASE.EXTD is set */
	const char *step;     /* what it is doing: an exception's FAIL line names it */
	volatile uint32_t up;
	volatile uint32_t command;
	volatile uint32_t requests, done; /* done == requests: the last command is finished */
	volatile uint64_t pings, pongs, wakes, spurious, watchdog;
	volatile uint64_t timer_fires, timer_first, timer_last; /* TSC at the first and last */
};

/* Filled by the BSP before each SIPI; trampoline.asm takes them on its way to long mode. */
struct smp_ap_params {
	uint64_t cr3, cr4, efer;
	uint64_t stack_top;
	struct smp_cpu *cpu;
	void (*entry)(struct smp_cpu *cpu);
	uint16_t gdt_limit; /* the BSP's GDTR, loaded once in long mode */
	uint64_t gdt_base;
} __attribute__((packed));

extern struct smp_cpu smp_cpus[SMP_MAX_CPUS];
extern unsigned smp_ncpus;
extern int smp_under_kan;
extern uint64_t smp_tsc_per_ms;
extern uint64_t smp_break; /* break=N on the command line: a deliberate bug, to see a FAIL */
/* the periodic timer's test (periods=, period_us=), and how far off its period may be, in
 * percent (tolerance=) */
extern uint64_t smp_periods, smp_period_us, smp_tolerance;

static inline struct smp_cpu *smp_self(void)
{
	struct smp_cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline uint64_t smp_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void smp_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void smp_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline uint64_t smp_ms(uint64_t ms)
{
	return ms * smp_tsc_per_ms;
}

/* Console and end (platform.c). Lines from several CPUs never mix: one lock per line. */
void smp_console_lock(void);
void smp_console_unlock(void);
void smp_exit(int status) __attribute__((noreturn));
void smp_calibrate_tsc(void);
void smp_spin_ticks(uint64_t ticks);
#define smp_say(...)                                                                               \
	do {                                                                                       \
		smp_console_lock();                                                                \
		guest_printf(__VA_ARGS__);                                                         \
		smp_console_unlock();                                                              \
	} while (0)
#define smp_fail(fmt, ...)                                                                         \
	do {                                                                                       \
		smp_say("smp: FAIL " fmt "\n", ##__VA_ARGS__);                                     \
		smp_exit(1);                                                                       \
	} while (0)

/*
 * Halts until `cond` holds or `ticks` of TSC have passed; 1 if it held. Interrupts are on while
 * it halts (STI's shadow covers HLT, so a wake-up between the test and HLT is not lost); the
 * BSP's watchdog timer bounds each halt.
 */
#define smp_wait(cond, ticks)                                                                      \
	({                                                                                         \
		uint64_t wait_end_ = guest_rdtsc() + (ticks);                                      \
		int held_;                                                                         \
		for (;;) {                                                                         \
			__asm__ volatile("cli" ::: "memory");                                      \
			if ((held_ = !!(cond)) || guest_rdtsc() >= wait_end_)                      \
				break;                                                             \
			__asm__ volatile("sti; hlt" ::: "memory");                                 \
		}                                                                                  \
		__asm__ volatile("sti" ::: "memory");                                              \
		held_;                                                                             \
	})

/* The IDT and interrupt dispatch (idt.c). */
typedef void (*smp_handler)(struct smp_cpu *cpu);
void smp_idt_init(void);
void smp_idt_load(void);
void smp_set_handler(unsigned vector, smp_handler handler);

/* The local APIC, in whichever mode this CPU has it (apic.c). */
#define APIC_ID		   0x20
#define APIC_VERSION	   0x30
#define APIC_TPR	   0x80
#define APIC_EOI	   0xb0
#define APIC_SVR	   0xf0
#define APIC_ESR	   0x280
#define APIC_ICR_LOW	   0x300
#define APIC_ICR_HIGH	   0x310
#define APIC_LVT_TIMER	   0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE  0x3e0
#define APIC_LVT_MASKED	   (1u << 16)
#define APIC_LVT_PERIODIC  (1u << 17)
#define APIC_LVT_DEADLINE  (2u << 17)
#define ICR_FIXED	   0x4000 /* level assert, physical destination */
#define ICR_INIT	   0x4500
#define ICR_STARTUP	   0x4600
#define MSR_APIC_BASE	   0x1b
#define MSR_TSC_DEADLINE   0x6e0
#define MSR_GS_BASE	   0xc0000101
#define APIC_BASE_BSP	   (1u << 8)
#define APIC_BASE_EXTD	   (1u << 10)
#define APIC_BASE_ENABLE   (1u << 11)
#define CPUID1_ECX_X2APIC  (1u << 21)
#define CPUID1_ECX_TSC_DL  (1u << 24)

uint32_t apic_read(unsigned reg);
void apic_write(unsigned reg, uint32_t value);
uint32_t apic_read_id(void);
void apic_eoi(void);
void apic_send(uint32_t apic_id, uint32_t icr_low);
void apic_enable(void);
void apic_to_x2apic(void);
uint32_t cpuid_apic_id(void);
uint32_t cpuid1_ecx(void);

/* The parts of the test. */
void smp_cpu_setup(struct smp_cpu *c); /* on each CPU: GS, IDT, SSE, APIC checks */
void smp_ap_main(struct smp_cpu *c);   /* an AP's start in C: from trampoline.asm */
void smp_sse_load(uint32_t index);
int smp_sse_check(uint32_t index);
void smp_start_aps(void);
void smp_command(struct smp_cpu *c, enum smp_command command);
void smp_watchdog_start(void);
void smp_watchdog_stop(void);
uint64_t smp_timer_calibrate(void);
void smp_timer_tests(struct smp_cpu *c);
void smp_timer_cost(const char *mode); /* timercost=1: a figure for make bench */
void smp_ipi_handlers_install(void);
void smp_ping_pong(const char *mode, uint64_t round_trips);

#endif
