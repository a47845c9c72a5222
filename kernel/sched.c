#include "kernel/sched.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/report.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"

#define IDLE_MAX_US 1000 /* an idle CPU looks again at least this often */

static volatile unsigned vms_alive;
extern uint64_t boot_tsc; /* boot/entry.asm: the TSC when GRUB handed over */

/* A vCPU alone on its CPU has nobody to yield to: it runs this long between looks. */
#define SLICE_ALONE_US 1000000

void sched_add(struct vcpu *vcpu)
{
	__atomic_add_fetch(&vms_alive, 1, __ATOMIC_RELAXED);
	vcpu->vm->start_tsc = rdtsc();
	runqueue_push(&cpus[vcpu->cpu].queue, vcpu);
}

/* Halts this CPU until `wake_tsc` (or IDLE_MAX_US), woken by its LAPIC timer. */
static void idle_until(struct cpu *c, uint64_t wake_tsc)
{
	uint64_t now = rdtsc();
	uint64_t us = wake_tsc > now ? time_tsc_to_us(wake_tsc - now) : 0;
	if (us > IDLE_MAX_US)
		us = IDLE_MAX_US;
	lapic_timer_oneshot(us ? us : 1);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	c->idle_tsc += rdtsc() - now;
}

static bool timed_out(struct vcpu *v, uint64_t now)
{
	uint64_t limit = v->vm->config.timeout_us;
	if (!limit || now - v->vm->start_tsc < time_us_to_tsc(limit))
		return false;
	vm_stop(v->vm, "its timeout of %lu ms ran out", limit / 1000);
	return true;
}

static void vcpu_ended(void)
{
	__atomic_sub_fetch(&vms_alive, 1, __ATOMIC_RELEASE);
}

void sched_run(void)
{
	struct cpu *c = this_cpu();
	for (;;) {
		uint64_t now = rdtsc();
		struct vcpu *v = runqueue_pop_ready(&c->queue, now);
		if (!v) {
			if (__atomic_load_n(&vms_alive, __ATOMIC_ACQUIRE) == 0)
				break;
			idle_until(c, runqueue_earliest_wake(&c->queue));
			continue;
		}
		if (timed_out(v, now)) {
			vcpu_ended();
			continue;
		}
		c->current = v;
		uint64_t slice = time_us_to_tsc(c->queue.length ? v->vm->config.slice_us
								  : SLICE_ALONE_US);
		if (c->index == 0 && boot_tsc) {
			printk("kan: boot: %lu TSC ticks from GRUB's hand-off to the first guest\n",
			       rdtsc() - boot_tsc);
			boot_tsc = 0;
		}
		enum vcpu_event event = backend_vcpu_run(v, slice);
		uint64_t ran = rdtsc() - now;
		v->cpu_time += ran;
		c->busy_tsc += ran;
		c->current = NULL;
		switch (event) {
		case VCPU_EVENT_ENDED:
			vcpu_ended();
			continue;
		case VCPU_EVENT_HALTED:
			/* No virtual interrupts yet: a halted vCPU sleeps for one slice. */
			v->wake_tsc = rdtsc() + time_us_to_tsc(v->vm->config.slice_us);
			break;
		case VCPU_EVENT_PREEMPTED:
		case VCPU_EVENT_YIELDED:
			break;
		}
		runqueue_push(&c->queue, v);
	}
	if (c->index != 0)
		cpu_halt_forever(); /* the boot CPU reports and ends the run */
	report_vm_table();
	kan_shutdown(0, "all guests ended");
}
