/* The SMP guest's IDT: every vector has a stub (stubs.asm); exceptions and vectors nobody
 * expects end the run with a FAIL that names them. */
#include "smp.h"

#define IDT_VECTORS    256
#define STUB_SPACING   16   /* stubs.asm aligns each stub to 16 bytes */
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */
#define CODE_SELECTOR  0x08 /* kan_guest.h, ENTRY STATE */
#define FIRST_IRQ      32

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

/* What stubs.asm pushes, lowest address first. */
struct smp_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

extern const char smp_interrupt_stubs[];
void smp_interrupt(struct smp_frame *f);

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static smp_handler handlers[IDT_VECTORS];

void smp_idt_init(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		uint64_t stub = (uint64_t)smp_interrupt_stubs + v * STUB_SPACING;
		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)stub,
			.selector = CODE_SELECTOR,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
}

void smp_idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
}

void smp_set_handler(unsigned vector, smp_handler handler)
{
	handlers[vector] = handler;
}

void smp_interrupt(struct smp_frame *f)
{
	struct smp_cpu *c = smp_self();
	if (f->vector < FIRST_IRQ) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		smp_fail("cpu %u: exception %s (vector %lu) while %s: error code 0x%lx, RIP 0x%lx, "
			 "RSP 0x%lx, CR2 0x%lx",
			 c->index, guest_vector_name((int)f->vector), f->vector,
			 c->step ? c->step : "starting", f->error_code, f->rip, f->rsp, cr2);
	}
	if (!handlers[f->vector])
		smp_fail("cpu %u: unexpected interrupt, vector 0x%lx, at RIP 0x%lx", c->index,
			 f->vector, f->rip);
	handlers[f->vector](c);
}
