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
/* Room for the notes of `cpu_count` CPUs (two stacks each), in bytes. */
uint64_t stacks_bytes(unsigned cpu_count);
/* Moves the notes to `space` (stacks_bytes(cpu_count) bytes), before other CPUs start: until
 * then there is room for the boot CPU's two. */
void stacks_reserve(void *space, unsigned cpu_count);
/* Where `addr` lies among the noted stacks. Safe in any exception handler: no locks. */
struct stack_place stacks_find(uint64_t addr);

#endif
