#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"

static interrupt_handler_fn handlers[INTERRUPT_VECTORS];

void interrupt_register(uint8_t vector, interrupt_handler_fn handler)
{
	if (vector >= INTERRUPT_VECTOR_FIRST && vector < INTERRUPT_VECTOR_FIRST + INTERRUPT_VECTORS)
		handlers[vector - INTERRUPT_VECTOR_FIRST] = handler;
}

bool interrupt_dispatch(uint8_t vector)
{
	if (vector == LAPIC_SPURIOUS_VECTOR)
		return false; /* spurious interrupts take no EOI */
	unsigned i = vector - INTERRUPT_VECTOR_FIRST;
	bool reschedule = false;
	if (vector >= INTERRUPT_VECTOR_FIRST && i < INTERRUPT_VECTORS && handlers[i])
		reschedule = handlers[i]();
	lapic_eoi();
	return reschedule;
}
