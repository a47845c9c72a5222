/* A CPU exception in kan is a kan bug: report everything useful, then end the run. */
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "kernel/console.h"
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

void exception_dispatch(struct exception_frame *f);

extern char wrmsr_safe_insn[], wrmsr_safe_fixup[]; /* msr_safe.asm */
#define VECTOR_GP 13

void exception_dispatch(struct exception_frame *f)
{
	if (f->vector >= INTERRUPT_VECTOR_FIRST) {
		interrupt_dispatch((uint8_t)f->vector);
		return;
	}
	if (f->vector == VECTOR_GP && f->rip == (uint64_t)wrmsr_safe_insn) {
		f->rip = (uint64_t)wrmsr_safe_fixup; /* the caller hears "refused" */
		return;
	}
	const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector]
									: "reserved";
	console_force_unlock();
	printk("kan: CPU EXCEPTION %s (vector %lu), error code 0x%lx\n", name, f->vector,
	       f->error_code);
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
