#include "kernel/sched.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/report.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"

static volatile unsigned vms_alive;

static void queue_push(struct cpu *c, struct vcpu *vcpu)
{
	vcpu->next_in_queue = NULL;
	if (c->queue_tail)
		c->queue_tail->next_in_queue = vcpu;
	else
		c->queue_head = vcpu;
	c->queue_tail = vcpu;
}

void sched_add(struct vcpu *vcpu)
{
	__atomic_add_fetch(&vms_alive, 1, __ATOMIC_RELAXED);
	queue_push(&cpus[vcpu->cpu], vcpu);
}

static struct vcpu *sched_pick_next(struct cpu *c)
{
	struct vcpu *v = c->queue_head;
	if (v) {
		c->queue_head = v->next_in_queue;
		if (!c->queue_head)
			c->queue_tail = NULL;
		v->next_in_queue = NULL;
	}
	return v;
}

void sched_run(void)
{
	struct cpu *c = this_cpu();
	for (;;) {
		struct vcpu *v = sched_pick_next(c);
		if (!v) {
			if (__atomic_load_n(&vms_alive, __ATOMIC_ACQUIRE) == 0)
				break;
			cpu_relax();
			continue;
		}
		c->current = v;
		uint64_t start = rdtsc();
		enum vcpu_event event = backend_vcpu_run(v, time_us_to_tsc(v->vm->config.slice_us));
		v->cpu_time += rdtsc() - start;
		c->current = NULL;
		if (event == VCPU_EVENT_ENDED)
			__atomic_sub_fetch(&vms_alive, 1, __ATOMIC_RELEASE);
		else
			queue_push(c, v);
	}
	report_vm_table();
	kan_shutdown(0, "all guests ended");
}
