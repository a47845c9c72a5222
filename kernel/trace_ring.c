#include "kernel/trace_ring.h"

void trace_ring_init(struct trace_ring *ring, struct trace_event *events, uint32_t size)
{
	ring->events = events;
	ring->size = size;
	ring->head = 0;
	ring->busy = 0;
}

void trace_ring_clear(struct trace_ring *ring)
{
	ring->head = 0;
}

void trace_ring_push(struct trace_ring *ring, const struct trace_event *event)
{
	if (!ring->size)
		return;
	ring->events[ring->head & (ring->size - 1)] = *event;
	ring->head++;
}

uint64_t trace_ring_held(const struct trace_ring *ring)
{
	return ring->head < ring->size ? ring->head : ring->size;
}

uint64_t trace_ring_lost(const struct trace_ring *ring)
{
	return ring->head - trace_ring_held(ring);
}

const struct trace_event *trace_ring_at(const struct trace_ring *ring, uint64_t i)
{
	uint64_t oldest = ring->head - trace_ring_held(ring);
	return &ring->events[(oldest + i) & (ring->size - 1)];
}
