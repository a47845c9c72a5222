/* A CPU exception in kan is a kan bug: report everything useful, then end the run. */
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/mce.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/stacks.h"
#include "kernel/console.h"
#include "kernel/limits.h"
#include "kernel/panic.h"

struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
};

#define VECTOR_NMI	     2
#define VECTOR_MACHINE_CHECK 18
#define VECTOR_DOUBLE_FAULT  8
#define VECTOR_PAGE_FAULT    14

/* #PF error code bits (SDM Vol. 3A, 4.7). */
#define PF_PRESENT  (1u << 0)
#define PF_WRITE    (1u << 1)
#define PF_USER	    (1u << 2)
#define PF_RESERVED (1u << 3)
#define PF_FETCH    (1u << 4)

void exception_dispatch(struct exception_frame *f);

extern char wrmsr_safe_insn[], wrmsr_safe_fixup[]; /* msr_safe.asm */
#define VECTOR_GP 13

static void (*volatile nmi_stop)(void);

void nmi_set_stop(void (*stop)(void))
{
	nmi_stop = stop;
}

void nmi_stop_if_asked(void)
{
	void (*stop)(void) = nmi_stop;
	if (stop)
		stop();
}

static uint32_t nmis_in_kan[KAN_MAX_CPUS], nmis_from_guests[KAN_MAX_CPUS];
static bool reraised[KAN_MAX_CPUS]; /* the next NMI on this CPU is nmi_reraise_from_guest's */
/* An interrupt let in by interrupt_take_pending whose handler wants the CPU, per CPU. */
static bool wants_cpu[KAN_MAX_CPUS];
static uint8_t platform_reasons; /* NMI_SERR | NMI_IOCHK seen at port 0x61 */
static void (*volatile nmi_errand)(unsigned cpu);

#define PORT_B	  0x61
#define NMI_SERR  0x80 /* port 0x61 bit 7: PCI SERR# or memory parity */
#define NMI_IOCHK 0x40 /* bit 6: I/O channel check */
#define NMI_CLEAR 0x0c /* bits 2-3 set: disable, and so clear, both; bits 0-1 are the PIT's */

void nmi_set_errand(void (*errand)(unsigned cpu))
{
	nmi_errand = errand;
}

uint64_t nmi_count_in_kan(unsigned cpu)
{
	return __atomic_load_n(&nmis_in_kan[cpu], __ATOMIC_RELAXED);
}

uint64_t nmi_count_from_guests(unsigned cpu)
{
	return __atomic_load_n(&nmis_from_guests[cpu], __ATOMIC_RELAXED);
}

static unsigned cpu_of(const void *on_stack)
{
	struct stack_place here = stacks_find((uint64_t)on_stack);
	return here.found ? here.cpu : 0;
}

void nmi_reraise_from_guest(void)
{
	/* NMIs are blocked since the exit, so no other NMI comes between. The handler's IRET
	 * ends that blocking, as one after a real NMI would. */
	reraised[cpu_of(__builtin_frame_address(0))] = true;
	__asm__ volatile("int $2" ::: "memory");
}

bool interrupt_take_pending(void)
{
	unsigned cpu = cpu_of(__builtin_frame_address(0));
	wants_cpu[cpu] = false;
	__asm__ volatile("sti; nop; cli" ::: "memory"); /* STI's shadow ends after the NOP */
	return wants_cpu[cpu];
}

/* A platform source (port 0x61, as on the PC/AT): noted for nmi_say_once, and cleared so it
 * can report again. A legacy-free machine floats the port: all-ones says nothing. */
static void nmi_check_platform(void)
{
	uint8_t b = inb(PORT_B);
	if (b == 0xff || !(b & (NMI_SERR | NMI_IOCHK)))
		return;
	__atomic_or_fetch(&platform_reasons, b & (NMI_SERR | NMI_IOCHK), __ATOMIC_RELAXED);
	outb(PORT_B, (b & 0x0f) | NMI_CLEAR);
	outb(PORT_B, b & 0x0f);
}

static void nmi_handle(const struct exception_frame *f)
{
	/* On the IST stack, which says whose CPU this is. It may have interrupted printk: no
	 * lock, no printk (a self-test's errand aside). */
	nmi_stop_if_asked(); /* the machine's end: this CPU leaves VMX and halts */
	unsigned cpu = cpu_of(f);
	nmi_check_platform();
	if (reraised[cpu]) {
		reraised[cpu] = false;
		__atomic_add_fetch(&nmis_from_guests[cpu], 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&nmis_in_kan[cpu], 1, __ATOMIC_RELAXED);
	}
	if (nmi_errand)
		nmi_errand(cpu);
}

void nmi_say_once(unsigned cpu)
{
	static bool said, said_platform;
	if (!said && nmi_count_in_kan(cpu) && !__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		printk("kan: cpu %u: an NMI arrived while kan ran: kan sends none, so it counts "
		       "and ignores them\n",
		       cpu);
	uint8_t why = __atomic_load_n(&platform_reasons, __ATOMIC_RELAXED);
	if (why && !said_platform && !__atomic_exchange_n(&said_platform, true, __ATOMIC_RELAXED))
		printk("kan: NMI: the platform reports%s%s (port 0x61); kan cleared it and goes "
		       "on\n",
		       why & NMI_SERR ? " SERR (a PCI system error or memory parity)" : "",
		       why & NMI_IOCHK ? " IOCHK (an I/O channel check)" : "");
}

/* Why the present page at `cr2` refused the access, from kan's tables and CR4. */
static const char *page_fault_cause(const struct exception_frame *f, uint64_t cr2)
{
	uint64_t page = paging_lookup(cr2), cr4 = read_cr4();
	if (f->error_code & PF_RESERVED)
		return "a reserved bit is set in a page-table entry";
	if (f->error_code & PF_FETCH) {
		if ((page & PAGE_USER) && (cr4 & CR4_SMEP))
			return "SMEP: the page is user-accessible, and kan may not run code from "
			       "it";
		if (page & PAGE_NX)
			return "NX: the page is not executable";
	} else if ((page & PAGE_USER) && (cr4 & CR4_SMAP) && !(f->rflags & RFLAGS_AC)) {
		return "SMAP: the page is user-accessible, and kan may not touch it while "
		       "RFLAGS.AC is clear";
	} else if ((f->error_code & PF_WRITE) && !(page & PAGE_WRITABLE)) {
		return "the page is read-only";
	}
	return "kan cannot tell why";
}

/* The address a #PF names, or a #DF after one that could not be delivered (an overflow). */
static void report_fault_address(const struct exception_frame *f)
{
	uint64_t cr2 = read_cr2();
	struct stack_place place = stacks_find(cr2);
	if (place.guard) {
		/* RSP in the guard page, or just above it: the stack itself ran into it. */
		bool overflow =
			f->rsp >= place.guard_page && f->rsp < place.guard_page + 4096 + 512;
		printk("kan: CR2 0x%lx is in the guard page below cpu %u's %s%s\n", cr2, place.cpu,
		       place.what,
		       overflow ? ", and RSP is at its edge: that stack overflowed" : "");
		return;
	}
	if (f->vector != VECTOR_PAGE_FAULT)
		return;
	const char *access = f->error_code & PF_FETCH	? "instruction fetch"
			     : f->error_code & PF_WRITE ? "write"
							: "read";
	const char *by = f->error_code & PF_USER ? "user mode" : "kan";
	if (!(f->error_code & PF_PRESENT))
		printk("kan: page fault: %s by %s at 0x%lx: the page is not mapped\n", access, by,
		       cr2);
	else
		printk("kan: page fault: %s by %s at 0x%lx: %s\n", access, by, cr2,
		       page_fault_cause(f, cr2));
}

void exception_dispatch(struct exception_frame *f)
{
	if (f->vector >= INTERRUPT_VECTOR_FIRST) {
		if (interrupt_dispatch((uint8_t)f->vector))
			wants_cpu[cpu_of(f)] = true;
		return;
	}
	if (f->vector == VECTOR_GP && f->rip == (uint64_t)wrmsr_safe_insn) {
		f->rip = (uint64_t)wrmsr_safe_fixup; /* the caller hears "refused" */
		return;
	}
	if (f->vector == VECTOR_NMI) {
		nmi_handle(f);
		return;
	}
	if (f->vector == VECTOR_MACHINE_CHECK) {
		machine_check_handle(cpu_of(f), f->rip);
		return;
	}
	const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector]
									: "reserved";
	console_force_unlock();
	printk("kan: CPU EXCEPTION %s (vector %lu), error code 0x%lx\n", name, f->vector,
	       f->error_code);
	struct stack_place here = stacks_find((uint64_t)f);
	if (here.found)
		printk("kan: on cpu %u, reported from its %s\n", here.cpu, here.what);
	if (f->vector == VECTOR_PAGE_FAULT || f->vector == VECTOR_DOUBLE_FAULT)
		report_fault_address(f);
	printk("  RIP %016lx  CS %04lx  RFLAGS %016lx  CR2 %016lx\n", f->rip, f->cs, f->rflags,
	       read_cr2());
	printk("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", f->rax, f->rbx, f->rcx,
	       f->rdx);
	printk("  RSI %016lx  RDI %016lx  RBP %016lx  RSP %016lx\n", f->rsi, f->rdi, f->rbp,
	       f->rsp);
	printk("  R8  %016lx  R9  %016lx  R10 %016lx  R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	printk("  R12 %016lx  R13 %016lx  R14 %016lx  R15 %016lx\n", f->r12, f->r13, f->r14,
	       f->r15);
	printk("  CR0 %016lx  CR3 %016lx  CR4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
	printk("  at %016lx\n", f->rip);
	backtrace_print((void *)f->rbp);
	kan_shutdown(3, "CPU exception in kan");
}
