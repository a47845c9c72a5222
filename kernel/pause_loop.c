/* The yield heuristic for CPUs without PAUSE-loop detection (kernel/pause_loop.h). */
#include "kernel/pause_loop.h"

bool pause_loop_note(struct pause_loop *p, uint64_t rip)
{
	if (p->seen == 0 || p->rip != rip) {
		/* Another PAUSE than the last one: a new loop, if it is one. */
		p->rip = rip;
		p->seen = 0;
	}
	if (++p->seen < PAUSE_LOOP_EXITS)
		return false;
	p->seen = 0;
	return true;
}
