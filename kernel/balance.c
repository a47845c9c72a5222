#include "kernel/balance.h"

#include <stddef.h>

#define PPM 1000000

static uint32_t distance(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

bool balance_pick(const struct balance_cpu *cpus, unsigned cpu_count,
		  const struct balance_vcpu *vcpus, unsigned vcpu_count, uint32_t threshold,
		  struct balance_move *out)
{
	unsigned busiest = cpu_count, idlest = cpu_count;
	for (unsigned i = 0; i < cpu_count; i++) {
		if (!cpus[i].present)
			continue;
		if (cpus[i].settling)
			return false; /* wait until the last move shows in the measurements */
		if (busiest == cpu_count || cpus[i].busy > cpus[busiest].busy)
			busiest = i;
		if (idlest == cpu_count || cpus[i].busy < cpus[idlest].busy)
			idlest = i;
	}
	if (busiest == cpu_count || cpus[busiest].busy - cpus[idlest].busy <= threshold)
		return false;
	uint32_t gap = cpus[busiest].busy - cpus[idlest].busy;
	unsigned best = vcpu_count;
	for (unsigned k = 0; k < vcpu_count; k++) {
		const struct balance_vcpu *v = &vcpus[k];
		if (v->cpu != busiest || v->settling || !v->busy || v->busy >= gap ||
		    !cpuset_has(&v->allowed, idlest) ||
		    cpus[idlest].reserved_ppm + v->reserved_ppm > PPM)
			continue;
		if (best == vcpu_count ||
		    distance(2 * v->busy, gap) < distance(2 * vcpus[best].busy, gap))
			best = k;
	}
	if (best == vcpu_count)
		return false;
	*out = (struct balance_move){ best, busiest, idlest };
	return true;
}
