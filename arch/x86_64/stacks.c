#include "arch/x86_64/stacks.h"
#include "kernel/string.h"

#define GUARD_SIZE 4096

struct stack {
	uint64_t guard, top; /* the guard page starts at `guard`; the stack ends at `top` */
	unsigned cpu;
	const char *what;
};

/* Each CPU has a stack and an IST stack, noted by the boot CPU as it starts the CPUs. */
static struct stack boot_stacks[2];
static struct stack *stacks = boot_stacks;
static unsigned stack_count, stack_capacity = 2;

uint64_t stacks_bytes(unsigned cpu_count)
{
	return 2ull * cpu_count * sizeof(struct stack);
}

void stacks_reserve(void *space, unsigned cpu_count)
{
	memcpy(space, stacks, stack_count * sizeof(struct stack));
	stacks = space;
	stack_capacity = 2 * cpu_count;
}

void stacks_note(unsigned cpu, const char *what, uint64_t top, uint64_t size)
{
	if (stack_count < stack_capacity)
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
