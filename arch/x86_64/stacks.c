#include "arch/x86_64/stacks.h"
#include "kernel/limits.h"

#define GUARD_SIZE 4096

struct stack {
	uint64_t guard, top; /* the guard page starts at `guard`; the stack ends at `top` */
	unsigned cpu;
	const char *what;
};

/* Each CPU has a stack and an IST stack, noted by the boot CPU as it starts the CPUs. */
static struct stack stacks[2 * KAN_MAX_CPUS];
static unsigned stack_count;

void stacks_note(unsigned cpu, const char *what, uint64_t top, uint64_t size)
{
	if (stack_count < sizeof(stacks) / sizeof(stacks[0]))
		stacks[stack_count++] = (struct stack){ top - size - GUARD_SIZE, top, cpu, what };
}

struct stack_place stacks_find(uint64_t addr)
{
	for (unsigned i = 0; i < stack_count; i++) {
		const struct stack *s = &stacks[i];
		if (addr >= s->guard && addr < s->top)
			return (struct stack_place){ true, addr < s->guard + GUARD_SIZE, s->guard,
						     s->cpu, s->what };
	}
	return (struct stack_place){ false, false, 0, 0, "" };
}
