/*
 * vm move: a vCPU changes physical CPU while its VM runs. The old CPU does the work, in an
 * errand (sched_call_on) that runs between its slices: it takes the vCPU off its queue, lets
 * go of it (the backend saves what the CPU held of it and, for VT-x, VMCLEARs its VMCS) and
 * puts it on the new CPU's queue. The vCPU stays marked queued throughout, so that a wake-up
 * racing with the move finds it queued and adds it nowhere.
 */
#include "kernel/vm_move.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/vcpu_backend.h"

struct vm_move_cost vm_move_last_cost;

#define PPM 1000000

struct move {
	struct vcpu *vcpu;
	unsigned to;
	char *error;
	size_t error_size;
	int result;
	uint64_t errand_tsc;
};

static uint64_t reservation_ppm(const struct vm_config *config)
{
	return config->period_us ? config->budget_us * PPM / config->period_us : 0;
}

/* Why the VM is in no state to move a vCPU ("it is ..."), or NULL: a crash, a reset, a
 * command or an end under way would race with it. Read under vm->lock, so that none begins
 * during the move. */
static const char *busy_reason(const struct vm *vm)
{
	if (vm->state != VM_RUNNING)
		return vm_state_name(vm->state);
	if (vm->reset_requested)
		return "resetting";
	if (vm->end_pending)
		return "ending";
	if (__atomic_load_n(&vm->pending, __ATOMIC_ACQUIRE) != -1)
		return "busy with an earlier command";
	return NULL;
}

/* On the vCPU's old CPU, between its slices. */
static void move_here(void *arg)
{
	struct move *m = arg;
	uint64_t start = rdtsc();
	struct vcpu *v = m->vcpu;
	struct vm *vm = v->vm;
	struct cpu *from = this_cpu(), *to = &cpus[m->to];
	unsigned old = from->index;
	spin_lock(&vm->lock);
	const char *busy = busy_reason(vm);
	if (!busy) {
		spin_lock(&from->queue_lock);
		/* Not queued: this CPU holds it between a pick and a requeue (this errand ran
		 * while the CPU waited for another), or it left the queue to sleep. */
		if (!v->queued || !runqueue_remove(&from->queue, v))
			busy = "between runs";
		else
			__atomic_store_n(&v->cpu, m->to, __ATOMIC_RELEASE);
		spin_unlock(&from->queue_lock);
	}
	spin_unlock(&vm->lock);
	if (busy) {
		ksnprintf(m->error, m->error_size, "vm %s: cannot move: it is %s (try again)",
			  vm->config.name, busy);
		m->result = -1;
		return;
	}
	backend_vcpu_unload(v);
	__atomic_sub_fetch(&cpus[old].vcpus, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&to->vcpus, 1, __ATOMIC_RELAXED);
	spin_lock(&to->queue_lock);
	/* Its virtual time was the old CPU's: it joins the new one's clock, owed a fair turn. */
	v->share.vtime = to->queue.vclock;
	runqueue_push(&to->queue, v);
	spin_unlock(&to->queue_lock);
	sched_kick(m->to);
	m->result = 0;
	m->errand_tsc = rdtsc() - start;
}

/* The vCPUs of `vm` other than `except` that run on `cpu`. */
static unsigned own_on(const struct vm *vm, unsigned cpu, const struct vcpu *except)
{
	unsigned n = 0;
	for (unsigned k = 0; k < vm->vcpu_count; k++)
		n += &vm->vcpus[k] != except && vm->vcpus[k].cpu == cpu;
	return n;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		ksnprintf(error, error_size, "vm %s: cannot move: " __VA_ARGS__);                  \
		return -1;                                                                         \
	} while (0)

/* 0 if vCPU `index` of `vm` may move to `to` under `allowed` and the VM's reservation. */
static int move_refusal(struct vm *vm, unsigned index, unsigned to, const struct cpuset *allowed,
			char *error, size_t error_size)
{
	const char *name = vm->config.name;
	spin_lock(&vm->lock);
	const char *busy = busy_reason(vm);
	spin_unlock(&vm->lock);
	if (busy)
		REFUSE("it is %s", name, busy);
	if (index >= vm->vcpu_count)
		REFUSE("it has no vCPU %u (it has %u)", name, index, vm->vcpu_count);
	const struct vcpu *v = &vm->vcpus[index];
	if (to >= percpu_count() || !percpu_is_present(to))
		REFUSE("cpu %u runs no VMs", name, to);
	if (!cpuset_has(allowed, to))
		REFUSE("cpu %u is not in its cpus= (vm set it first)", name, to);
	if (to == v->cpu)
		REFUSE("vCPU %u runs on cpu %u already", name, index, to);
	if (v->run_state != VCPU_RUNNABLE)
		REFUSE("vCPU %u waits for a start-up IPI", name, index);
	uint64_t mine = reservation_ppm(&vm->config);
	uint64_t total = vm_reserved_ppm(to, vm) + (own_on(vm, to, v) + 1) * mine;
	if (mine && total > PPM)
		REFUSE("cpu %u has no room for its reservation (the reservations there would "
		       "come to %lu%%, at most 100%%)",
		       name, to, total / 10000);
	return 0;
}

/* The move itself, checked already; prints the move, and `why` if not NULL. */
static int move_vcpu(struct vcpu *v, unsigned to, const char *why, char *error, size_t error_size)
{
	uint64_t start = rdtsc();
	unsigned from = v->cpu;
	struct move m = { v, to, error, error_size, -1, 0 };
	sched_call_on(from, move_here, &m);
	if (m.result)
		return -1;
	vm_move_last_cost.errand = m.errand_tsc;
	vm_move_last_cost.total = rdtsc() - start;
	char vcpu[16] = "";
	if (v->vm->vcpu_count > 1)
		ksnprintf(vcpu, sizeof(vcpu), " vCPU %u", v->index);
	printk("kan: vm %s:%s moved from cpu %u to cpu %u%s%s%s\n", v->vm->config.name, vcpu, from,
	       to, why ? " (" : "", why ? why : "", why ? ")" : "");
	return 0;
}

int vm_move(struct vm *vm, unsigned index, unsigned to, char *error, size_t error_size)
{
	if (move_refusal(vm, index, to, &vm->config.cpus, error, error_size))
		return -1;
	return move_vcpu(&vm->vcpus[index], to, NULL, error, error_size);
}

int vm_move_because(struct vcpu *v, unsigned to, const char *why)
{
	char error[160];
	if (move_refusal(v->vm, v->index, to, &v->vm->config.cpus, error, sizeof(error)) ||
	    move_vcpu(v, to, why, error, sizeof(error))) {
		printk("kan: %s\n", error);
		return -1;
	}
	return 0;
}

/* How many entries of where[0 .. count-1] other than `skip` are `cpu`. */
static unsigned planned_on(const unsigned where[], unsigned count, unsigned cpu, unsigned skip)
{
	unsigned n = 0;
	for (unsigned k = 0; k < count; k++)
		n += k != skip && where[k] == cpu;
	return n;
}

/* The allowed CPU for vCPU `i` with room for `mine` and the fewest vCPUs, counting the moves
 * planned before it; KAN_MAX_CPUS if none has room. */
static unsigned least_loaded(const struct vm *vm, const struct cpuset *allowed, uint64_t mine,
			     const unsigned where[], unsigned i)
{
	unsigned best = KAN_MAX_CPUS, best_load = ~0u;
	for (unsigned c = 0; c < percpu_count(); c++) {
		if (!cpuset_has(allowed, c) || !percpu_is_present(c))
			continue;
		unsigned planned = planned_on(where, vm->vcpu_count, c, i);
		if (mine && vm_reserved_ppm(c, vm) + (planned + 1) * mine > PPM)
			continue;
		unsigned load = cpus[c].vcpus + planned - own_on(vm, c, NULL);
		if (load < best_load)
			best = c, best_load = load;
	}
	return best;
}

#undef REFUSE
#define REFUSE(...)                                                                                \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

int vm_move_plan(const struct vm *vm, const struct vm_config *next, unsigned where[], char *error,
		 size_t error_size)
{
	uint64_t mine = reservation_ppm(next);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		where[i] = vm->vcpus[i].cpu;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (cpuset_has(&next->cpus, where[i]))
			continue;
		if (vm->state != VM_RUNNING)
			REFUSE("key 'cpus' does not hold cpu %u, where vCPU %u is, and only a "
			       "running VM moves",
			       where[i], i);
		where[i] = least_loaded(vm, &next->cpus, mine, where, i);
		if (where[i] == KAN_MAX_CPUS)
			REFUSE("key 'cpus' does not hold cpu %u, where vCPU %u runs, and no CPU "
			       "it holds has room for its reservation",
			       vm->vcpus[i].cpu, i);
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		uint64_t total = vm_reserved_ppm(where[i], vm) +
				 (planned_on(where, vm->vcpu_count, where[i], i) + 1) * mine;
		if (mine && total > PPM)
			REFUSE("key 'budget' has value '%luus' (period %luus): the reservations "
			       "on cpu %u would come to %lu%% (at most 100%%)",
			       next->budget_us, next->period_us, where[i], total / 10000);
	}
	return 0;
}

void vm_move_apply(struct vm *vm, const unsigned where[])
{
	char error[160];
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].cpu != where[i] &&
		    move_vcpu(&vm->vcpus[i], where[i], NULL, error, sizeof(error)))
			printk("kan: %s\n", error);
}
