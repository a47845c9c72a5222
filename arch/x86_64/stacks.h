/* kan's stacks and the guard pages below them, by CPU, so a crash report can say whose
 * stack a fault hit. */
#ifndef KAN_ARCH_STACKS_H
#define KAN_ARCH_STACKS_H

#include <stdbool.h>
#include <stdint.h>

struct stack_place {
	bool found; /* in a stack kan noted, or in the guard page below it */
	bool guard; /* in the guard page */
	uint64_t guard_page;
	unsigned cpu;
	const char *what; /* "boot stack", "stack", "IST stack" */
};

/* Notes CPU `cpu`'s stack [top - size, top), whose guard page is the page below it. */
void stacks_note(unsigned cpu, const char *what, uint64_t top, uint64_t size);
/* Where `addr` lies among the noted stacks. Safe in any exception handler: no locks. */
struct stack_place stacks_find(uint64_t addr);

#endif
