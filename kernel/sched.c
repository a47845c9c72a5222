/*
 * Round-robin scheduling: each CPU runs the vCPUs placed on it, one slice at a time, and is
 * the only CPU that changes their VMs' state (lifecycle requests from the shell are carried
 * out here). An idle CPU halts until its LAPIC timer or a kick.
 */
#include "kernel/sched.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/report.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"
#include "kernel/time.h"
#include "kernel/trace.h"
#include "kernel/vcpu_backend.h"
#include "kernel/vintr.h"
#include "kernel/vm_balance.h"

#define IDLE_MAX_US 1000 /* an idle CPU looks again at least this often */
/* A vCPU alone on its CPU has nobody to yield to: it runs this long between looks. */
#define SLICE_ALONE_US 1000000
#define KICK_VECTOR    0x21
#define NOTIFY_VECTOR  0x22 /* a vCPU on this CPU has a new interrupt: see it at the entry */

extern uint64_t boot_tsc; /* boot/entry.asm: the TSC when GRUB handed over */
static bool wait_when_empty;
static uint64_t recent_window_tsc; /* RECENT_WINDOW_US, once: every slice notes its share */
static uint64_t slice_alone_tsc;   /* SLICE_ALONE_US, once */

static bool kicked(void)
{
	return true; /* the interrupt itself did the work: it made the CPU look */
}

static bool notified(void)
{
	return false; /* the exit it caused delivers the interrupt on the way back in */
}

static bool idle_timer_fired(void)
{
	return false; /* it ended sched_idle's HLT; the loop looks at the queue anyway */
}

void sched_init(bool keep_running_when_empty)
{
	wait_when_empty = keep_running_when_empty;
	recent_window_tsc = time_us_to_tsc(RECENT_WINDOW_US);
	slice_alone_tsc = time_us_to_tsc(SLICE_ALONE_US);
	interrupt_register(KICK_VECTOR, kicked);
	interrupt_register(NOTIFY_VECTOR, notified);
	interrupt_register(LAPIC_TIMER_VECTOR, idle_timer_fired);
}

/* Puts the vCPU on the queue unless it is there already (a command and the CPU's own
 * requeue can race to add it). */
static void queue_push(struct cpu *c, struct vcpu *vcpu)
{
	spin_lock(&c->queue_lock);
	if (!vcpu->queued) {
		vcpu->queued = true;
		runqueue_push(&c->queue, vcpu);
	}
	spin_unlock(&c->queue_lock);
}

void sched_enqueue(struct vcpu *vcpu)
{
	queue_push(&cpus[vcpu->cpu], vcpu);
}

void sched_add(struct vcpu *vcpu)
{
	sched_enqueue(vcpu);
}

void sched_kick(unsigned cpu)
{
	if (cpu != this_cpu()->index)
		lapic_send_ipi(cpus[cpu].apic_id, KICK_VECTOR);
}

void sched_wake(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->wake_tsc, 0, __ATOMIC_RELEASE);
	sched_kick(vcpu->cpu);
}

/* Runs the errand another CPU left here (sched_call_on), if any. */
static void run_errand(struct cpu *c)
{
	void (*fn)(void *) = __atomic_load_n(&c->errand, __ATOMIC_ACQUIRE);
	if (fn) {
		fn(c->errand_arg);
		__atomic_store_n(&c->errand, NULL, __ATOMIC_RELEASE);
	}
}

void sched_call_on(unsigned cpu, void (*fn)(void *arg), void *arg)
{
	struct cpu *self = this_cpu(), *target = &cpus[cpu];
	if (target == self) {
		fn(arg);
		return;
	}
	/* While waiting, this CPU does what others ask of it: two CPUs asking each other
	 * at once both go on. */
	while (!spin_trylock(&target->errand_lock))
		run_errand(self);
	target->errand_arg = arg;
	__atomic_store_n(&target->errand, fn, __ATOMIC_RELEASE);
	sched_kick(cpu);
	while (__atomic_load_n(&target->errand, __ATOMIC_ACQUIRE)) {
		run_errand(self);
		cpu_relax();
	}
	spin_unlock(&target->errand_lock);
}

void sched_notify(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->wake_tsc, 0, __ATOMIC_RELEASE);
	if (vcpu->cpu != this_cpu()->index)
		lapic_send_ipi(cpus[vcpu->cpu].apic_id, NOTIFY_VECTOR);
}

/* Halts this CPU until `wake_tsc` (or IDLE_MAX_US), woken by its LAPIC timer or a kick. */
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
	uint64_t limit = v->vm->config.timeout_us, start = v->vm->start_tsc;
	/* start_tsc may come from another CPU (the boot CPU starts autostart VMs), whose TSC
	 * can be ahead of this one's: then no time has passed yet, rather than 2^64 ticks. */
	if (!limit || now < start || now - start < time_us_to_tsc(limit))
		return false;
	vm_stop(v->vm, "its timeout of %lu ms ran out", limit / 1000);
	return true;
}

static void report_boot_time(void)
{
	if (boot_tsc) {
		printk("kan: boot: %lu TSC ticks from GRUB's hand-off to the first guest\n",
		       rdtsc() - boot_tsc);
		boot_tsc = 0;
	}
}

/* How long `v` may run from `now` (kernel/share.h): its slice, or longer alone on its CPU;
 * cut by its cap and reservation, and by the next period of another vCPU's reservation. */
static uint64_t run_limit(struct cpu *c, struct vcpu *v, uint64_t now)
{
	struct share *s = &v->share;
	if (!c->queue.length && !s->policy.cap_pct && !s->policy.period)
		return slice_alone_tsc;
	uint64_t limit = share_run_limit(s, now);
	uint64_t release = runqueue_next_release(&c->queue);
	if (release > now && release - now < limit)
		limit = release - now;
	return limit;
}

/* Runs `v` for one slice; true if it should stay on the run queue. */
static bool run_slice(struct cpu *c, struct vcpu *v, uint64_t now)
{
	struct vm *vm = v->vm;
	c->current = v;
	__atomic_store_n(&v->running_since, now, __ATOMIC_RELEASE);
	/* Frames for a NIC of a VM without a PIC go in here, once a slice; a VM with a PIC
	 * polls before every entry (the backends do it). */
	if (vm->devices.net && !vintr_present(v))
		vm_devices_poll(vm);
	pause_loop_reset(&v->pause_loop);
	enum vcpu_event event = backend_vcpu_run(v, run_limit(c, v, now));
	uint64_t end = rdtsc(), ran = end - now;
	trace_run(v, now, end, event);
	v->cpu_time += ran;
	uint64_t vtime_before = v->share.vtime;
	share_charge(&v->share, ran);
	if (event == VCPU_EVENT_YIELDED)
		share_end_turn(&v->share, vtime_before);
	v->runs++;
	__atomic_store_n(&v->running_since, 0, __ATOMIC_RELEASE);
	c->busy_tsc += ran;
	busy_window_note(&v->recent, end, v->cpu_time, recent_window_tsc);
	busy_window_note(&c->recent, end, c->busy_tsc, recent_window_tsc);
	c->current = NULL;
	if (v != vm_boot_vcpu(vm)) {
		/* The home CPU does the whole-VM work; this vCPU runs on while the VM does. */
		if (event == VCPU_EVENT_ENDED && vm_wants_cpu_back(vm))
			vm_post_end(vm); /* not after an INIT: then it only waits for a SIPI */
		if (!vm_vcpu_may_run(v))
			return false;
	} else {
		unsigned boots = vm->boots;
		if (event == VCPU_EVENT_ENDED && vm_end_policy(vm))
			return true;
		if (!vm_handle_pending(vm))
			return false; /* it ended, or a command stopped or paused it */
		if (vm->boots != boots)
			return true; /* a command restarted it: its HLT is gone with the old run */
	}
	if (event == VCPU_EVENT_HALTED) {
		share_sleep(&v->share);
		/* A VM with interrupts sleeps until its next timer tick, or input (sched_wake),
		 * or at most a second; one without sleeps one slice. */
		bool intc = vintr_present(v);
		uint64_t wake =
			rdtsc() + time_us_to_tsc(intc ? SLICE_ALONE_US : vm->config.slice_us);
		if (intc && vintr_next_event(v) < wake)
			wake = vintr_next_event(v);
		/* The sleep is published first, then the vCPU looks again: an interrupt (a frame,
		 * an IPI) that came while it was halting either is seen here, or its sender's
		 * wake-up (sched_notify) comes after this store and undoes it. */
		__atomic_store_n(&v->wake_tsc, wake, __ATOMIC_SEQ_CST);
		if (vm_devices_pending(vm) || (intc && vintr_pending(v)))
			__atomic_store_n(&v->wake_tsc, 0, __ATOMIC_RELEASE);
	}
	return true;
}

void sched_run(void)
{
	struct cpu *c = this_cpu();
	if (c->index == 0)
		shell_start();
	for (;;) {
		run_errand(c);
		selftest_tick(c->index);
		nmi_say_once(c->index);
		interrupt_say_strays(c->index);
		if (c->index == 0) {
			console_poll();
			shell_poll();
			trace_dump_continue();
			vm_balance_tick();
		}
		uint64_t now = rdtsc();
		spin_lock(&c->queue_lock);
		struct vcpu *v = runqueue_pop_ready(&c->queue, now);
		uint64_t next_wake = UINT64_MAX;
		if (v)
			v->queued = false;
		else
			next_wake = runqueue_earliest_wake(&c->queue, now);
		spin_unlock(&c->queue_lock);
		if (!v) {
			if (vm_live_count() == 0 && !wait_when_empty)
				break;
			idle_until(c, next_wake);
			continue;
		}
		/* A command may be waiting for its VM; then the VM's state decides whether it
		 * runs. The boot vCPU's CPU carries commands out; the other vCPUs follow. */
		if (v == vm_boot_vcpu(v->vm)) {
			if (!vm_handle_pending(v->vm) || timed_out(v, now)) {
				share_sleep(&v->share);
				continue;
			}
		} else if (!vm_vcpu_may_run(v)) {
			share_sleep(&v->share);
			continue; /* the home CPU puts it back when the VM runs again */
		} else if (v->start_pending) {
			vcpu_start_on_its_cpu(v);
		}
		if (c->index == 0)
			report_boot_time();
		if (run_slice(c, v, now))
			queue_push(c, v);
		else
			share_sleep(&v->share);
	}
	if (c->index != 0)
		cpu_halt_forever(); /* the boot CPU reports and ends the run */
	report_vm_table();
	kan_shutdown(0, "all guests ended");
}
