/* The timeline's storage: a ring of fixed-size events per CPU that overwrites its oldest and
 * counts what it lost. Pure: kernel/trace.c owns the rings, kernel/trace_json.c reads them. */
#ifndef KAN_KERNEL_TRACE_RING_H
#define KAN_KERNEL_TRACE_RING_H

#include <stdbool.h>
#include <stdint.h>

enum trace_kind {
	TRACE_RUN_START = 1, /* a vCPU entered its slice */
	TRACE_RUN_END,	     /* ... and came back: arg says why (enum trace_run_end) */
	TRACE_EXIT,	     /* a VM exit the trace selected: arg is its exit counter index */
};

/* Why a run ended: kernel/trace.c maps the backends' enum vcpu_event onto these. */
enum trace_run_end {
	TRACE_END_SLICE, /* its slice was used up, or an interrupt for kan came */
	TRACE_END_YIELD, /* it gave the CPU away (hypercall, PAUSE loop) */
	TRACE_END_HLT,	 /* HLT: nothing to do until an interrupt */
	TRACE_END_VM,	 /* its VM ended, stopped, paused or crashed */
};

struct trace_event {
	uint64_t tsc;
	uint16_t vm_id;
	uint8_t kind; /* enum trace_kind */
	uint8_t vcpu; /* index in its VM */
	uint32_t arg;
};

struct trace_ring {
	struct trace_event *events;
	uint32_t size;		/* a power of two; 0: no ring (the CPU is not there) */
	uint64_t head;		/* events ever written: the next goes to head % size */
	volatile uint32_t busy; /* a write is under way (the dump waits it out) */
};

void trace_ring_init(struct trace_ring *ring, struct trace_event *events, uint32_t size);
/* Forgets every event and the count of lost ones. */
void trace_ring_clear(struct trace_ring *ring);
void trace_ring_push(struct trace_ring *ring, const struct trace_event *event);
/* How many events the ring holds, and how many it overwrote. */
uint64_t trace_ring_held(const struct trace_ring *ring);
uint64_t trace_ring_lost(const struct trace_ring *ring);
/* The i-th event held, oldest first (i < trace_ring_held). */
const struct trace_event *trace_ring_at(const struct trace_ring *ring, uint64_t i);

#endif
