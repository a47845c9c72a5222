#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "drivers/pic8259.h"
#include "kernel/console.h"

static interrupt_handler_fn handlers[INTERRUPT_VECTORS];

/* Vectors that arrived with no handler of kan's, and those already reported. */
static uint64_t strays_seen[4], strays_said[4];
static uint64_t stray_count, stray_count_said;
static uint16_t pic_spurious_seen; /* IRQ 7 and 15 that the 8259 did not have in service */

void interrupt_register(uint8_t vector, interrupt_handler_fn handler)
{
	if (vector >= INTERRUPT_VECTOR_FIRST && vector < INTERRUPT_VECTOR_FIRST + INTERRUPT_VECTORS)
		handlers[vector - INTERRUPT_VECTOR_FIRST] = handler;
}

enum interrupt_kind interrupt_classify(uint8_t vector, bool has_handler)
{
	if (vector == LAPIC_SPURIOUS_VECTOR)
		return INTERRUPT_LAPIC_SPURIOUS;
	if (has_handler)
		return INTERRUPT_KAN;
	if (vector >= PIC_VECTOR_BASE && vector < PIC_VECTOR_BASE + PIC_VECTORS)
		return INTERRUPT_PIC;
	return INTERRUPT_STRAY;
}

static void note_stray(uint8_t vector)
{
	__atomic_or_fetch(&strays_seen[vector / 64], 1ull << (vector % 64), __ATOMIC_RELAXED);
	__atomic_add_fetch(&stray_count, 1, __ATOMIC_RELEASE);
}

bool interrupt_dispatch(uint8_t vector)
{
	unsigned i = vector - INTERRUPT_VECTOR_FIRST;
	interrupt_handler_fn handler = i < INTERRUPT_VECTORS ? handlers[i] : 0;
	switch (interrupt_classify(vector, handler != 0)) {
	case INTERRUPT_LAPIC_SPURIOUS:
		return false; /* spurious interrupts take no EOI */
	case INTERRUPT_KAN: {
		bool reschedule = handler();
		lapic_eoi();
		return reschedule;
	}
	case INTERRUPT_PIC:
		/* A spurious IRQ 7/15 gets no EOI at the 8259 (pic_handle reads its ISR). */
		if (pic_handle(vector - PIC_VECTOR_BASE).spurious)
			__atomic_or_fetch(&pic_spurious_seen, 1u << (vector - PIC_VECTOR_BASE),
					  __ATOMIC_RELAXED);
		break;
	case INTERRUPT_STRAY:
		break;
	}
	note_stray(vector);
	/* Only an interrupt the LAPIC delivered is in its service register: EOI that one, and
	 * never one that came from the 8259 as ExtINT, which would end another's. */
	if (lapic_in_service(vector))
		lapic_eoi();
	return false;
}

void interrupt_say_strays(unsigned cpu)
{
	if (__atomic_load_n(&stray_count, __ATOMIC_ACQUIRE) == stray_count_said)
		return;
	__atomic_store_n(&stray_count_said, stray_count, __ATOMIC_RELAXED);
	for (unsigned v = 0; v < 256; v++) {
		uint64_t bit = 1ull << (v % 64);
		if (!(__atomic_load_n(&strays_seen[v / 64], __ATOMIC_RELAXED) & bit) ||
		    (__atomic_fetch_or(&strays_said[v / 64], bit, __ATOMIC_RELAXED) & bit))
			continue;
		unsigned irq = v - PIC_VECTOR_BASE;
		if (interrupt_classify((uint8_t)v, false) != INTERRUPT_PIC)
			printk("kan: cpu %u: unexpected interrupt vector 0x%x (no handler: a "
			       "device or firmware leftover); kan counts and ignores it\n",
			       cpu, v);
		else if (__atomic_load_n(&pic_spurious_seen, __ATOMIC_RELAXED) & (1u << irq))
			printk("kan: cpu %u: spurious 8259 IRQ %u (vector 0x%x, not in service "
			       "at the 8259): ignored, no EOI to the 8259\n",
			       cpu, irq, v);
		else
			printk("kan: cpu %u: 8259 IRQ %u (vector 0x%x) has no handler: ended at "
			       "the 8259, counted and ignored\n",
			       cpu, irq, v);
	}
}

uint64_t interrupt_stray_count(void)
{
	return __atomic_load_n(&stray_count, __ATOMIC_RELAXED);
}
