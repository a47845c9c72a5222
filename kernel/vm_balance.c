/*
 * balance=on: about once a second CPU 0's loop measures how busy each CPU was lately and
 * moves at most one vCPU from the busiest to the least busy (kernel/balance.h decides; the
 * move is vm move's). Hysteresis: the two CPUs of a move wait until their busy windows
 * measured them anew, and the vCPU moved stays where it went for BALANCE_HOLD_US.
 */
#include "kernel/vm_balance.h"
#include "arch/x86_64/cpu.h"
#include "kernel/balance.h"
#include "kernel/format.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/vm_move.h"

#define BALANCE_EVERY_US  1000000
#define BALANCE_SETTLE_US (RECENT_WINDOW_US + BALANCE_EVERY_US)
#define BALANCE_HOLD_US	  5000000
#define BALANCE_VCPUS_MAX 256 /* looked at per pass; vCPUs beyond stay where they are */
#define BALANCE_RECENT	  16  /* moves remembered for the hold */

bool vm_balance_enabled;
static uint64_t next_look, every_tsc, settle_tsc, hold_tsc, window_tsc;
static uint64_t settle_until[KAN_MAX_CPUS];
static struct {
	const struct vcpu *vcpu;
	uint64_t until;
} held[BALANCE_RECENT];
static unsigned held_next;

/* Gathered once a pass, on CPU 0 only. */
static struct balance_cpu measured[KAN_MAX_CPUS];
static struct balance_vcpu candidates[BALANCE_VCPUS_MAX];
static struct vcpu *candidate_vcpu[BALANCE_VCPUS_MAX];

void vm_balance_start(void)
{
	vm_balance_enabled = true;
	every_tsc = time_us_to_tsc(BALANCE_EVERY_US);
	settle_tsc = time_us_to_tsc(BALANCE_SETTLE_US);
	hold_tsc = time_us_to_tsc(BALANCE_HOLD_US);
	window_tsc = time_us_to_tsc(RECENT_WINDOW_US);
	next_look = rdtsc() + settle_tsc; /* the windows have measured nothing yet */
}

static bool is_held(const struct vcpu *v, uint64_t now)
{
	for (unsigned i = 0; i < BALANCE_RECENT; i++)
		if (held[i].vcpu == v && now < held[i].until)
			return true;
	return false;
}

/* The vCPUs of running VMs, up to BALANCE_VCPUS_MAX. */
static unsigned gather_vcpus(uint64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < vm_count() && n < BALANCE_VCPUS_MAX; i++) {
		struct vm *vm = vm_by_index(i);
		if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
			continue;
		uint64_t ppm = vm->config.period_us
				       ? vm->config.budget_us * 1000000 / vm->config.period_us
				       : 0;
		for (unsigned k = 0; k < vm->vcpu_count && n < BALANCE_VCPUS_MAX; k++) {
			struct vcpu *v = &vm->vcpus[k];
			candidates[n] = (struct balance_vcpu){
				.cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE),
				.busy = busy_window_permille(&v->recent, now, v->cpu_time,
							     window_tsc),
				.allowed = vm->config.cpus,
				.reserved_ppm = ppm,
				.settling = v->run_state != VCPU_RUNNABLE || is_held(v, now),
			};
			candidate_vcpu[n++] = v;
		}
	}
	return n;
}

void vm_balance_look(void)
{
	uint64_t now = rdtsc();
	if (now < next_look)
		return;
	next_look = now + every_tsc;
	unsigned count = percpu_count();
	for (unsigned i = 0; i < count; i++) {
		const struct cpu *c = &cpus[i];
		measured[i] = (struct balance_cpu){
			.present = percpu_is_present(i),
			.settling = now < settle_until[i],
			.busy = busy_window_permille(&c->recent, now, c->busy_tsc, window_tsc),
			.reserved_ppm = vm_reserved_ppm(i, NULL),
		};
	}
	unsigned n = gather_vcpus(now);
	struct balance_move m;
	if (!balance_pick(measured, count, candidates, n, BALANCE_THRESHOLD, &m))
		return;
	struct vcpu *v = candidate_vcpu[m.vcpu];
	char why[80];
	ksnprintf(why, sizeof(why), "balance=on: cpu %u was %u%% busy, cpu %u %u%%", m.from,
		  measured[m.from].busy / 10, m.to, measured[m.to].busy / 10);
	/* Refused (the VM began to end, say): said, and the next pass looks again. */
	if (vm_move_because(v, m.to, why))
		return;
	settle_until[m.from] = settle_until[m.to] = now + settle_tsc;
	held[held_next].vcpu = v;
	held[held_next].until = now + hold_tsc;
	held_next = (held_next + 1) % BALANCE_RECENT;
}
