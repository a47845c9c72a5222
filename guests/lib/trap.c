/* Exceptions in kan's 64-bit test guests: an IDT for vectors 0-31, counted and recoverable. */
#include "guest.h"

#define IDT_VECTORS    32
#define STUB_SPACING   16   /* trap_stubs.asm aligns each stub to 16 bytes */
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define CODE_SELECTOR  0x08 /* kan_guest.h, ENTRY STATE */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

/* What trap_stubs.asm pushes, lowest address first. */
struct guest_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

extern const char guest_trap_stubs[];
extern const char guest_try_resume[];
extern uint64_t guest_try_rsp;

volatile struct guest_trap guest_last_trap = { .vector = GUEST_NO_TRAP };
volatile uint64_t guest_trap_counts[IDT_VECTORS];
volatile uint64_t guest_trap_landing;

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static const char *const vector_names[IDT_VECTORS] = {
	[0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",	[4] = "#OF",
	[5] = "#BR",  [6] = "#UD",  [7] = "#NM",  [8] = "#DF",	[10] = "#TS",
	[11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
	[17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

const char *guest_vector_name(int vector)
{
	if (vector == GUEST_NO_TRAP)
		return "no exception";
	if (vector < 0 || vector >= IDT_VECTORS || !vector_names[vector])
		return "reserved";
	return vector_names[vector];
}

void guest_trap_install(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		uint64_t stub = (uint64_t)guest_trap_stubs + v * STUB_SPACING;
		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)stub,
			.selector = CODE_SELECTOR,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
}

void guest_trap_dispatch(struct guest_trap_frame *f)
{
	guest_trap_counts[f->vector]++;
	guest_last_trap.vector = (int32_t)f->vector;
	guest_last_trap.error_code = f->error_code;
	guest_last_trap.rip = f->rip;
	if (guest_trap_landing) {
		/* A GUEST_GUARDED instruction: carry on just after it, on the same stack. */
		f->rip = guest_trap_landing;
		guest_trap_landing = 0;
		return;
	}
	if (guest_try_rsp) {
		f->rip = (uint64_t)guest_try_resume;
		f->rsp = guest_try_rsp;
		return;
	}
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	guest_printf("unexpected exception %s (vector %lu), error code 0x%lx, at RIP 0x%lx, "
		     "RSP 0x%lx, CR2 0x%lx: ending with status %lu\n",
		     guest_vector_name((int)f->vector), f->vector, f->error_code, f->rip, f->rsp,
		     cr2, GUEST_TRAP_EXIT_STATUS + f->vector);
	kan_exit((int64_t)(GUEST_TRAP_EXIT_STATUS + f->vector));
}

uint64_t guest_trap_total(void)
{
	uint64_t total = 0;
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		total += guest_trap_counts[v];
	return total;
}

int guest_rdmsr_safe(uint32_t msr, uint64_t *value)
{
	uint32_t lo = 0, hi = 0;
	int vector = GUEST_TRY_ASM("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*value = ((uint64_t)hi << 32) | lo;
	return vector;
}

int guest_wrmsr_safe(uint32_t msr, uint64_t value)
{
	return GUEST_TRY_ASM("wrmsr",
			     :
			     : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			     : "memory");
}

int guest_write_cr0_safe(uint64_t value)
{
	return GUEST_TRY_ASM("mov %0, %%cr0", : : "r"(value) : "memory");
}

int guest_write_cr3_safe(uint64_t value)
{
	return GUEST_TRY_ASM("mov %0, %%cr3", : : "r"(value) : "memory");
}

int guest_write_cr4_safe(uint64_t value)
{
	return GUEST_TRY_ASM("mov %0, %%cr4", : : "r"(value) : "memory");
}

int guest_write_cr8_safe(uint64_t value)
{
	return GUEST_TRY_ASM("mov %0, %%cr8", : : "r"(value) : "memory");
}
