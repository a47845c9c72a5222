#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/interrupts.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define IDT_INTERRUPT_GATE   0x8e /* present, DPL 0, 64-bit interrupt gate */
#define VECTOR_NMI	     2
#define VECTOR_DOUBLE_FAULT  8
#define VECTOR_MACHINE_CHECK 18

/* isr.asm */
extern const uint64_t exception_stubs[32];
extern const char interrupt_stubs[]; /* from 0x20, in blocks of 8 (isr.asm) */

#define STUB_SIZE	4
#define STUB_BLOCK_SIZE (8 * STUB_SIZE + 8)

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void idt_set(unsigned vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = SEL_KERNEL_CODE,
		.ist = ist,
		.type_attr = IDT_INTERRUPT_GATE,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v < 32; v++) {
		/* These can arrive on a broken stack: give them the known-good IST stack, and
		 * #MC its own part of it, since it can arrive inside an NMI's handler. */
		int on_ist = v == VECTOR_NMI || v == VECTOR_DOUBLE_FAULT ? 1
			     : v == VECTOR_MACHINE_CHECK		 ? 2
									 : 0;
		idt_set(v, exception_stubs[v], (uint8_t)on_ist);
	}
	/* Every other vector too: a device or firmware leftover must not find an empty gate. */
	for (unsigned v = INTERRUPT_VECTOR_FIRST; v < 256; v++) {
		unsigned i = v - INTERRUPT_VECTOR_FIRST;
		idt_set(v,
			(uint64_t)(interrupt_stubs + i / 8 * STUB_BLOCK_SIZE + i % 8 * STUB_SIZE),
			0);
	}
}

uint64_t idt_base(void)
{
	return (uint64_t)idt;
}
