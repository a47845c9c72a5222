/* VMs: creating them from modules, and moving them through their lifecycle. */
#include "kernel/vm.h"
#include "kernel/vm_devices.h"
#include "arch/x86_64/cpu.h"
#include "guests/include/kan_guest.h"
#include "kernel/console.h"
#include "kernel/devices/exit_port.h"
#include "kernel/format.h"
#include "kernel/guest_boot.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"
#include "kernel/vm_apic.h"
#include "kernel/vm_move.h"

#include <stdarg.h>

#define VM_TABLE_FIRST (PAGE_SIZE / sizeof(struct vm *))

/* VM slots are allocated when first needed, so kan holds as many VMs as memory allows. The
 * table of pointers to them grows by doubling; a slot never moves, and an outgrown table is
 * kept, since another CPU may still be reading it. Slots [0, vms_used) hold VMs; the slot at
 * vms_used, once allocated, waits for the next VM. */
static struct vm **vm_table;
static unsigned vm_table_size;
static unsigned vms_used;
/* Modules that are data for VMs (kind=initrd, disk or data), by name. */
struct data_module {
	char name[KAN_VM_NAME_MAX];
	enum vm_kind kind; /* initrd, disk or data */
	const struct boot_module *module;
};
static struct data_module *data_modules;
static unsigned data_module_count;

/* The data module of `kind` named `name` (the last one listed, if several are), or NULL. */
static const struct boot_module *data_module_named(enum vm_kind kind, const char *name)
{
	for (unsigned i = data_module_count; i-- > 0;)
		if (data_modules[i].kind == kind && !strcmp(data_modules[i].name, name))
			return data_modules[i].module;
	return NULL;
}

static unsigned vms_live; /* running or paused */
static const struct kan_config *kan_defaults;

unsigned vm_count(void)
{
	return __atomic_load_n(&vms_used, __ATOMIC_ACQUIRE);
}

struct vm *vm_by_index(unsigned i)
{
	return __atomic_load_n(&vm_table, __ATOMIC_ACQUIRE)[i];
}

uint64_t vcpu_cpu_time(const struct vcpu *vcpu)
{
	/* `since` is the vCPU's CPU's TSC, `now` this CPU's: where TSCs are skewed, now may
	 * be the earlier one. */
	uint64_t since = __atomic_load_n(&vcpu->running_since, __ATOMIC_ACQUIRE), now = rdtsc();
	return vcpu->cpu_time + (since && now > since ? now - since : 0);
}

uint64_t vm_cpu_time(const struct vm *vm)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		total += vcpu_cpu_time(&vm->vcpus[i]);
	return total;
}

uint32_t vm_recent_permille(const struct vm *vm)
{
	uint32_t total = 0;
	uint64_t now = rdtsc(), window = time_us_to_tsc(RECENT_WINDOW_US);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		total += busy_window_permille(&v->recent, now, vcpu_cpu_time(v), window);
	}
	return total;
}

uint64_t vm_exits_total(const struct vm *vm)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		total += vcpu_exits_total(&vm->vcpus[i]);
	return total;
}

uint64_t vcpu_exits_total(const struct vcpu *vcpu)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < VCPU_EXIT_REASONS; i++)
		total += vcpu->exits[i];
	return total;
}

unsigned vm_live_count(void)
{
	return __atomic_load_n(&vms_live, __ATOMIC_ACQUIRE);
}

struct vm *vm_find(const char *id_or_name)
{
	unsigned id = 0;
	const char *p = id_or_name;
	while (*p >= '0' && *p <= '9')
		id = id * 10 + (unsigned)(*p++ - '0');
	for (unsigned i = 0; i < vm_count(); i++) {
		struct vm *vm = vm_by_index(i);
		if ((!*p && p != id_or_name && vm->id == id) ||
		    !strcmp(vm->config.name, id_or_name))
			return vm;
	}
	return NULL;
}

void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->config.mem || len > vm->config.mem - gpa)
		return NULL;
	return phys_to_ptr(vm->ram_base + gpa);
}

static bool live(enum vm_state s)
{
	return s == VM_RUNNING || s == VM_PAUSED;
}

void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		sched_kick(vm->vcpus[i].cpu);
}

static bool is_guest_event(enum vm_transition_cause cause)
{
	return cause == VM_GUEST_EXIT || cause == VM_GUEST_CRASH || cause == VM_GUEST_POWEROFF ||
	       cause == VM_GUEST_RESET;
}

/* vm_apply, with vm->lock held. */
static bool apply_locked(struct vm *vm, enum vm_transition_cause cause, const char *reason)
{
	enum vm_state to;
	const char *why;
	if (vm_transition(vm->state, cause, &to, &why)) {
		printk("kan: vm %s: cannot %s: %s\n", vm->config.name, vm_cause_name(cause), why);
		return false;
	}
	if (live(to) && !live(vm->state))
		__atomic_add_fetch(&vms_live, 1, __ATOMIC_RELEASE);
	else if (!live(to) && live(vm->state))
		__atomic_sub_fetch(&vms_live, 1, __ATOMIC_RELEASE);
	enum vm_state from = vm->state;
	if (to == VM_RUNNING && from != VM_PAUSED && from != VM_RUNNING)
		vm->start_tsc = rdtsc(); /* timeout= counts from each start */
	vm->state = to;
	/* The two transitions guests cause have the lines scripts know; the rest say both ends. */
	if (cause == VM_GUEST_EXIT)
		printk("kan: vm %s ended: exit status %ld\n", vm->config.name, vm->exit_status);
	else if (cause == VM_GUEST_CRASH)
		printk("kan: vm %s crashed: %s\n", vm->config.name, reason);
	else if (cause == VM_GUEST_POWEROFF)
		printk("kan: vm %s ended: powered off (%s)\n", vm->config.name, reason);
	else if (cause == VM_GUEST_RESET)
		printk("kan: vm %s reset itself (%s): starting again\n", vm->config.name, reason);
	else
		printk("kan: vm %s: %s -> %s (%s)\n", vm->config.name, vm_state_name(from),
		       vm_state_name(to), reason);
	if (to != VM_RUNNING)
		vm_kick_vcpus(vm); /* its other vCPUs leave the guest now */
	return true;
}

bool vm_apply(struct vm *vm, enum vm_transition_cause cause, const char *reason)
{
	spin_lock(&vm->lock);
	bool done = apply_locked(vm, cause, reason);
	spin_unlock(&vm->lock);
	return done;
}

/* A guest event from one of its vCPUs while another one, on another CPU, may end the VM too:
 * the first one ends it, and says why; the later ones find it ended and are dropped. */
static bool guest_event_first(struct vm *vm)
{
	return vm->vcpu_count == 1 || vm->state == VM_RUNNING;
}

void vm_exit(struct vm *vm, int64_t status)
{
	spin_lock(&vm->lock);
	if (guest_event_first(vm)) {
		vuart_flush(&vm->uart);
		vm->exited = true;
		vm->exit_status = status;
		ksnprintf(vm->stop_reason, sizeof(vm->stop_reason), "exit status %ld", status);
		apply_locked(vm, VM_GUEST_EXIT, vm->stop_reason);
	}
	spin_unlock(&vm->lock);
}

static void end_with(struct vm *vm, enum vm_transition_cause cause, const char *fmt, va_list ap)
{
	spin_lock(&vm->lock);
	if (!is_guest_event(cause) || guest_event_first(vm)) {
		/* With several vCPUs, say which one: the CPU's current vCPU, if it is the VM's. */
		const struct vcpu *cur = this_cpu()->current;
		int n = 0;
		if (vm->vcpu_count > 1 && cur && cur->vm == vm && is_guest_event(cause))
			n = ksnprintf(vm->stop_reason, sizeof(vm->stop_reason),
				      "vCPU %u: ", cur->index);
		kvsnprintf(vm->stop_reason + n, sizeof(vm->stop_reason) - (size_t)n, fmt, ap);
		vuart_flush(&vm->uart);
		vm->exited = false;
		apply_locked(vm, cause, vm->stop_reason);
	}
	spin_unlock(&vm->lock);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	end_with(vm, VM_DO_STOP, fmt, ap);
	va_end(ap);
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	end_with(vm, VM_GUEST_CRASH, fmt, ap);
	va_end(ap);
}

void vm_power_off(struct vm *vm, const char *how)
{
	spin_lock(&vm->lock);
	if (guest_event_first(vm)) {
		vuart_flush(&vm->uart);
		vm->exited = false;
		ksnprintf(vm->stop_reason, sizeof(vm->stop_reason), "powered off (%s)", how);
		apply_locked(vm, VM_GUEST_POWEROFF, how);
	}
	spin_unlock(&vm->lock);
}

void vm_request_reset(struct vm *vm, const char *how)
{
	spin_lock(&vm->lock);
	if (!vm->reset_requested) {
		strlcpy(vm->reset_reason, how, sizeof(vm->reset_reason));
		__atomic_store_n(&vm->reset_requested, true, __ATOMIC_RELEASE);
		vm_kick_vcpus(vm);
	}
	spin_unlock(&vm->lock);
}

/* On `vcpu`'s CPU (an errand from the home CPU): the CPU lets go of it. */
static void unload_here(void *vcpu)
{
	backend_vcpu_unload(vcpu);
}

/* On the home CPU, with the VM's vCPUs kept out of the guest (its state, a reset asked for):
 * each other vCPU's CPU lets go of it, so that it can be reset or freed here. */
static void park_other_vcpus(struct vm *vm)
{
	for (unsigned i = 1; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		__atomic_store_n(&v->run_state, VCPU_WAIT_SIPI, __ATOMIC_RELEASE);
		v->start_pending = false;
		if (v->backend)
			sched_call_on(v->cpu, unload_here, v);
	}
}

/* Where an application processor starts after a start-up IPI with `vector` (SDM 9.4.4):
 * real mode at vector << 12, CS = vector << 8, IP = 0. */
static void sipi_state(struct vcpu_boot_state *boot, uint8_t vector)
{
	memset(boot, 0, sizeof(*boot));
	boot->mode = GUEST_MODE_REAL;
	boot->cs = (uint16_t)(vector << 8);
}

void vcpu_start_on_its_cpu(struct vcpu *v)
{
	struct vcpu_boot_state boot;
	sipi_state(&boot, v->sipi_vector);
	v->start_pending = false;
	memset(&v->regs, 0, sizeof(v->regs));
	if (!backend_vcpu_reset(v, &boot))
		vm_crash(v->vm, "vCPU %u could not be started (see above)", v->index);
}

void vcpu_deliver_init(struct vcpu *v)
{
	struct vm *vm = v->vm;
	if (v->index == 0) {
		/* The boot vCPU would start at the reset vector, where a VM has no firmware:
		 * the machine starts again, as after a reset. */
		vm_request_reset(vm, "INIT to its boot vCPU");
		return;
	}
	spin_lock(&vm->lock);
	__atomic_store_n(&v->run_state, VCPU_WAIT_SIPI, __ATOMIC_RELEASE);
	v->start_pending = false;
	spin_unlock(&vm->lock);
	sched_kick(v->cpu); /* it leaves the guest; its CPU drops it from the queue */
}

bool vcpu_halt_for_good(struct vcpu *v)
{
	if (v->index == 0)
		return false;
	spin_lock(&v->vm->lock);
	__atomic_store_n(&v->run_state, VCPU_WAIT_SIPI, __ATOMIC_RELEASE);
	v->start_pending = false;
	spin_unlock(&v->vm->lock);
	return true;
}

void vcpu_deliver_sipi(struct vcpu *v, uint8_t vector)
{
	struct vm *vm = v->vm;
	spin_lock(&vm->lock);
	bool start = v->index != 0 && v->run_state == VCPU_WAIT_SIPI && !v->start_pending;
	if (start) { /* a SIPI to a vCPU that is not waiting for one is ignored, as by a CPU */
		v->sipi_vector = vector;
		v->start_pending = true;
		__atomic_store_n(&v->run_state, VCPU_RUNNABLE, __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->lock);
	if (start) {
		v->wake_tsc = 0;
		sched_enqueue(v);
		sched_kick(v->cpu);
	}
}

static void raise_com1_irq(void *vm)
{
	vm_isa_irq(vm, 4);
}

static void raise_pit_irq(void *vm)
{
	vm_isa_irq(vm, 0);
}

/* A fresh PIC, PIT and board, with COM1 wired to IRQ 4. */
static void reset_legacy_pic(struct vm *vm)
{
	vpic_init(&vm->pic);
	vm->pic.irq0 = raise_pit_irq;
	vm->pic.irq0_ctx = vm;
	pcboard_reset(&vm->board, vm, time_tsc_hz(), rdtsc());
	vm->uart.raise_irq = raise_com1_irq;
	vm->uart.irq_ctx = vm;
}

/* The 8259 pair, the 8254 and the rest of the PC board a Linux guest expects. */
static void add_legacy_pic(struct vm *vm)
{
	vm->has_pic = true;
	vm->has_intc = true;
	reset_legacy_pic(vm);
	iobus_register(&vm->io, 0x20, 0x21, vpic_io_pic, &vm->pic);
	iobus_register(&vm->io, 0xa0, 0xa1, vpic_io_pic, &vm->pic);
	iobus_register(&vm->io, 0x40, 0x43, vpic_io_pit, &vm->pic);
	iobus_register(&vm->io, 0x61, 0x61, vpic_io_pit, &vm->pic);
	pcboard_attach(&vm->board, vm);
}

/* Fresh memory, the image loaded again, the boot vCPU at its entry point and the others
 * waiting for their start-up IPI: on the home CPU. */
static bool vm_reset(struct vm *vm)
{
	char error[160];
	struct vcpu_boot_state boot;
	struct vcpu *bsp = vm_boot_vcpu(vm);
	park_other_vcpus(vm);
	memset(phys_to_ptr(vm->ram_base), 0, vm->config.mem);
	if (guest_boot_prepare(vm, phys_to_ptr(vm->module->start),
			       vm->module->end - vm->module->start, &boot, error, sizeof(error)) ||
	    !backend_vcpu_reset(bsp, &boot)) {
		printk("kan: vm %s: could not be reset\n", vm->config.name);
		return false;
	}
	memset(&bsp->regs, 0, sizeof(bsp->regs));
	bsp->regs.rdi = boot.rdi;
	bsp->regs.rsi = boot.rsi;
	bsp->wake_tsc = 0;
	vm->boots++;
	__atomic_store_n(&vm->reset_requested, false, __ATOMIC_RELEASE);
	vm->exited = false;
	vm->stop_reason[0] = '\0';
	vuart_init(&vm->uart, vm->config.name);
	if (vm->has_pic)
		reset_legacy_pic(vm);
	if (vm->has_lapic)
		vm_apic_reset(vm);
	if (vm->has_ioapic)
		vm_ioapic_reset(vm);
	vm_devices_reset(vm);
	vm->start_tsc = rdtsc();
	return true;
}

/* Its RAM back to kan (zeroed again before any reuse) and its backend state freed. */
static void vm_release(struct vm *vm)
{
	park_other_vcpus(vm);
	backend_vm_destroy(vm);
	vm_devices_release(vm);
	phys_free(vm->ram_base, vm->config.mem);
	printk("kan: vm %s: %lu MiB at host 0x%lx freed\n", vm->config.name, vm->config.mem >> 20,
	       vm->ram_base);
	vm->ram_base = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++) /* CPU 0 may be placing */
		__atomic_sub_fetch(&cpus[vm->vcpus[i].cpu].vcpus, 1, __ATOMIC_RELAXED);
}

/* From the CPU of a vCPU other than the boot one, which ended (the VM crashed, exited or
 * asked for a reset): the home CPU carries out what follows (vm_end_policy). */
void vm_post_end(struct vm *vm)
{
	__atomic_store_n(&vm->end_pending, true, __ATOMIC_RELEASE);
	struct vcpu *bsp = vm_boot_vcpu(vm);
	bsp->wake_tsc = 0;
	sched_enqueue(bsp);
	sched_kick(bsp->cpu);
}

/* After the VM started or resumed: its other started vCPUs go back on their queues. */
static void requeue_other_vcpus(struct vm *vm)
{
	for (unsigned i = 1; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (__atomic_load_n(&v->run_state, __ATOMIC_ACQUIRE) != VCPU_RUNNABLE)
			continue;
		sched_enqueue(v);
		sched_kick(v->cpu);
	}
}

int vm_request(struct vm *vm, enum vm_transition_cause cause, char *error, size_t error_size)
{
	enum vm_state to;
	const char *why;
	if (vm_transition(vm->state, cause, &to, &why)) {
		ksnprintf(error, error_size, "vm %s: cannot %s: %s", vm->config.name,
			  vm_cause_name(cause), why);
		return -1;
	}
	int idle = -1;
	if (!__atomic_compare_exchange_n(&vm->pending, &idle, (int)cause, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		ksnprintf(error, error_size, "vm %s: busy with an earlier command",
			  vm->config.name);
		return -1;
	}
	/* A running vCPU is on its CPU's queue already; any other goes there to be handled. */
	struct vcpu *bsp = vm_boot_vcpu(vm);
	if (vm->state != VM_RUNNING)
		sched_enqueue(bsp);
	bsp->wake_tsc = 0; /* a halted one is handled now, not at its next timer tick */
	sched_kick(bsp->cpu);
	return 0;
}

static bool handle_command(struct vm *vm);

bool vm_handle_pending_now(struct vm *vm)
{
	if (__atomic_load_n(&vm->end_pending, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&vm->end_pending, false, __ATOMIC_RELEASE);
		if (vm_end_policy(vm))
			requeue_other_vcpus(vm);
	}
	if (__atomic_load_n(&vm->pending, __ATOMIC_ACQUIRE) == -1)
		return vm->state == VM_RUNNING; /* the common case: nothing asked */
	bool run = handle_command(vm);
	if (run)
		requeue_other_vcpus(vm);
	return run;
}

static bool handle_command(struct vm *vm)
{
	int cause = __atomic_exchange_n(&vm->pending, -1, __ATOMIC_ACQ_REL);
	switch (cause) {
	case -1:
		return vm->state == VM_RUNNING;
	case VM_DO_START:
	case VM_DO_RESTART:
		if (vm->state != VM_CREATED && !vm_reset(vm))
			return false;
		return vm_apply(vm, (enum vm_transition_cause)cause, "by command");
	case VM_DO_RESUME:
		return vm_apply(vm, VM_DO_RESUME, "by command");
	case VM_DO_PAUSE:
	case VM_DO_STOP:
		vuart_flush(&vm->uart);
		vm->exited = false;
		vm_apply(vm, (enum vm_transition_cause)cause, "by command");
		return false;
	case VM_DO_DESTROY:
		vuart_flush(&vm->uart);
		if (vm_apply(vm, VM_DO_DESTROY, "by command"))
			vm_release(vm);
		return false;
	default:
		return false;
	}
}

/* A reset the guest asked for: the machine starts again, unless on_reset=stop. */
static bool vm_reset_policy(struct vm *vm)
{
	vm->reset_requested = false;
	vuart_flush(&vm->uart);
	if (vm->config.stop_on_reset) {
		vm_stop(vm, "it reset itself (%s), and on_reset=stop", vm->reset_reason);
		return false;
	}
	return vm_reset(vm) && vm_apply(vm, VM_GUEST_RESET, vm->reset_reason);
}

bool vm_end_policy(struct vm *vm)
{
	if (vm->state == VM_RUNNING && vm->reset_requested)
		return vm_reset_policy(vm);
	if (vm->state != VM_CRASHED || !vm->config.restart_on_crash)
		return false;
	if (vm->restarts >= vm->config.restart_limit) {
		printk("kan: vm %s: on_crash=restart gives up after %u restarts\n", vm->config.name,
		       vm->restarts);
		return false;
	}
	char reason[64];
	ksnprintf(reason, sizeof(reason), "on_crash=restart, restart %u of %u", ++vm->restarts,
		  vm->config.restart_limit);
	return vm_reset(vm) && vm_apply(vm, VM_DO_RESTART, reason);
}

/* The default name for a module: its file name without directory or extension. */
static void default_name(const char *cmdline, char *name, size_t size)
{
	const char *start = cmdline, *end = cmdline;
	while (*end && *end != ' ')
		end++;
	if (!strchr(cmdline, '/') || strchr(cmdline, '=') < end) {
		strlcpy(name, "vm", size);
		return;
	}
	for (const char *p = cmdline; p < end; p++)
		if (*p == '/')
			start = p + 1;
	const char *dot = end;
	for (const char *p = start; p < end; p++)
		if (*p == '.')
			dot = p;
	size_t n = (size_t)(dot - start);
	if (n == 0 || n >= size)
		n = size - 1;
	memcpy(name, start, n);
	name[n] = '\0';
}

/* The allowed CPU with the fewest vCPUs so far, counting the VM's own placed before (`mine`):
 * a vCPU stays where it is placed. */
/* The share of `cpu` (in millionths) that the vCPUs of VMs other than `except` reserve. */
uint64_t vm_reserved_ppm(unsigned cpu, const struct vm *except)
{
	uint64_t ppm = 0;
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_by_index(i);
		if (vm == except || vm->state == VM_DESTROYED || !vm->config.period_us)
			continue;
		for (unsigned k = 0; k < vm->vcpu_count; k++)
			if (vm->vcpus[k].cpu == cpu)
				ppm += vm->config.budget_us * 1000000 / vm->config.period_us;
	}
	return ppm;
}

/*
 * Where each vCPU of a VM with `config` runs: the allowed CPU with the fewest vCPUs, counting
 * the VM's own placed before it, that has room for its reservation, if it has one. 0, or -1
 * with the refusal in `error`.
 */
static int place_vcpus(const struct vm_config *config, unsigned where[], char *error,
		       size_t error_size)
{
	uint64_t mine = config->period_us ? config->budget_us * 1000000 / config->period_us : 0;
	for (unsigned v = 0; v < config->vcpus; v++) {
		unsigned best = KAN_MAX_CPUS, best_load = ~0u, first = KAN_MAX_CPUS;
		for (unsigned i = cpuset_first(&config->cpus); i < percpu_count(); i++) {
			if (!cpuset_has(&config->cpus, i))
				continue;
			unsigned load = cpus[i].vcpus, own = 0;
			for (unsigned k = 0; k < v; k++)
				own += where[k] == i;
			if (first == KAN_MAX_CPUS)
				first = i;
			if (mine && vm_reserved_ppm(i, NULL) + (own + 1) * mine > 1000000)
				continue;
			if (load + own < best_load)
				best = i, best_load = load + own;
		}
		if (best == KAN_MAX_CPUS) {
			ksnprintf(error, error_size,
				  "key 'budget' has value '%luus' (period %luus): the reservations "
				  "on cpu %u would come to %lu%% (at most 100%%; no allowed CPU "
				  "has room)",
				  config->budget_us, config->period_us, first,
				  (vm_reserved_ppm(first, NULL) + mine) / 10000);
			return -1;
		}
		where[v] = best;
	}
	return 0;
}

/* What of its CPU each vCPU of a VM with `config` is owed, in TSC ticks (kernel/share.h). */
void vm_share_policy(const struct vm_config *config, struct share_policy *p)
{
	*p = (struct share_policy){ .weight = config->weight,
				    .cap_pct = config->cap_pct,
				    .cap_window = time_us_to_tsc(SHARE_CAP_WINDOW_US),
				    .budget = time_us_to_tsc(config->budget_us),
				    .period = time_us_to_tsc(config->period_us),
				    .slice = time_us_to_tsc(config->slice_us) };
}

/* The slot at vms_used, allocated if it is not yet; NULL at the limit or without memory. */
static struct vm *fresh_slot(void)
{
	if (vms_used == KAN_MAX_VMS)
		return NULL;
	if (vms_used == vm_table_size) {
		unsigned size = vm_table_size ? 2 * vm_table_size : VM_TABLE_FIRST;
		struct vm **table = phys_to_ptr(phys_alloc(size * sizeof(*table), PAGE_SIZE));
		if (!table)
			return NULL;
		if (vm_table_size)
			memcpy(table, vm_table, vm_table_size * sizeof(*table));
		__atomic_store_n(&vm_table, table, __ATOMIC_RELEASE);
		vm_table_size = size;
	}
	if (!vm_table[vms_used])
		vm_table[vms_used] = phys_to_ptr(phys_alloc(sizeof(struct vm), PAGE_SIZE));
	return vm_table[vms_used];
}

static bool is_fresh(const struct vm *vm)
{
	return vms_used < vm_table_size && vm == vm_table[vms_used];
}

/* A slot for a new VM: a fresh one, or the oldest destroyed one. */
static struct vm *vm_slot(void)
{
	struct vm *vm = fresh_slot();
	for (unsigned i = 0; !vm && i < vms_used; i++)
		if (vm_table[i]->state == VM_DESTROYED)
			vm = vm_table[i];
	return vm;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return NULL;                                                                       \
	} while (0)

/* On a vCPU's CPU (sched_call_on): its new share policy, from the VM's config. */
static void apply_share(void *arg)
{
	struct vcpu *v = arg;
	struct share_policy policy;
	vm_share_policy(&v->vm->config, &policy);
	share_set_policy(&v->share, &policy, rdtsc());
}

int vm_set(struct vm *vm, const char *options, char *error, size_t error_size)
{
	if (vm->state == VM_DESTROYED) {
		ksnprintf(error, error_size, "vm %s is destroyed", vm->config.name);
		return -1;
	}
	struct vm_config_limits limits = { percpu_present(), kan_defaults->default_slice_us,
					   vm->config.name };
	struct vm_config next;
	if (vm_config_set(options, &limits, &vm->config, &next, error, error_size))
		return -1;
	unsigned where[KAN_VM_VCPUS_MAX]; /* a vCPU outside the new cpus= moves */
	if (vm_move_plan(vm, &next, where, error, error_size))
		return -1;
	vm->config.slice_us = next.slice_us;
	vm->config.weight = next.weight;
	vm->config.cap_pct = next.cap_pct;
	vm->config.budget_us = next.budget_us;
	vm->config.period_us = next.period_us;
	vm->config.cpus = next.cpus;
	vm_move_apply(vm, where);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		sched_call_on(vm->vcpus[i].cpu, apply_share, &vm->vcpus[i]);
	char reservation[48] = "none";
	if (next.period_us)
		ksnprintf(reservation, sizeof(reservation), "%luus every %luus", next.budget_us,
			  next.period_us);
	printk("kan: vm %s: set slice %u us, weight %u, cap %u%%, reservation %s\n",
	       vm->config.name, next.slice_us, next.weight, next.cap_pct ? next.cap_pct : 100,
	       reservation);
	return 0;
}

struct vm *vm_create(const struct boot_module *module, const char *cmdline, char *error,
		     size_t error_size)
{
	char fallback[KAN_VM_NAME_MAX];
	struct vm_config config;
	struct vm *vm = vm_slot();
	if (!vm)
		REFUSE("no slot for VM %u (%s) and none is destroyed", vms_used + 1,
		       vms_used == KAN_MAX_VMS ? "VPIDs allow at most 65535" : "out of memory");
	default_name(cmdline, fallback, sizeof(fallback));
	struct vm_config_limits limits = { percpu_present(), kan_defaults->default_slice_us,
					   fallback };
	if (vm_config_parse(cmdline, &limits, &config, error, error_size))
		return NULL;
	if (config.kind == VM_KIND_INITRD || config.kind == VM_KIND_DISK ||
	    config.kind == VM_KIND_DATA)
		REFUSE("key 'kind' has value '%s': that is data for a VM, not a VM",
		       config.kind == VM_KIND_DISK   ? "disk"
		       : config.kind == VM_KIND_DATA ? "data"
						     : "initrd");
	const struct boot_module *initrd =
		config.initrd[0] ? data_module_named(VM_KIND_INITRD, config.initrd) : NULL;
	if (config.initrd[0] && !initrd)
		REFUSE("key 'initrd' has bad value '%s' (no kind=initrd module has that name)",
		       config.initrd);
	const struct boot_module *boot_modules[VM_MODULES_MAX];
	for (unsigned m = 0; m < config.module_count; m++) {
		boot_modules[m] = data_module_named(VM_KIND_DATA, config.modules[m]);
		if (!boot_modules[m])
			REFUSE("key 'module' has bad value '%s' (no kind=data module has that "
			       "name)",
			       config.modules[m]);
	}
	if (config.module_count && config.kind != VM_KIND_MULTIBOOT &&
	    config.kind != VM_KIND_MULTIBOOT2)
		REFUSE("key 'module' is for kind=multiboot and multiboot2 VMs only");
	struct vm *same = vm_find(config.name);
	if (same && same->state != VM_DESTROYED)
		REFUSE("key 'name' has bad value '%s' (another VM has it)", config.name);
	unsigned placed[KAN_VM_VCPUS_MAX];
	if (place_vcpus(&config, placed, error, error_size))
		return NULL;
	/* 2 MiB-aligned for large EPT pages; from the top, so that low memory stays for kan. */
	uint64_t ram = phys_alloc_top(config.mem, 2ull << 20);
	if (!ram)
		REFUSE("key 'mem' asks for %lu MiB, which does not fit (%lu MiB free)",
		       config.mem >> 20, phys_free_bytes() >> 20);
	unsigned id = is_fresh(vm) ? vms_used + 1 : vm->id;
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->pending = -1;
	vm->state = VM_CREATED;
	vm->config = config;
	vm->module = module;
	vm->initrd = initrd;
	memcpy(vm->boot_modules, boot_modules, config.module_count * sizeof(boot_modules[0]));
	strlcpy(vm->cmdline, cmdline, sizeof(vm->cmdline));
	vm->ram_base = ram;
	vuart_init(&vm->uart, vm->config.name);
	iobus_register(&vm->io, KAN_UART_PORT, KAN_UART_PORT + 7, vuart_io, &vm->uart);
	if (config.exit_port)
		iobus_register(&vm->io, KAN_EXIT_PORT, KAN_EXIT_PORT, exit_port_io, vm);
	if (config.kind == VM_KIND_LINUX || config.kind == VM_KIND_PVH)
		add_legacy_pic(vm);
	if (vm_devices_create(vm, error, error_size)) {
		phys_free(ram, config.mem);
		return NULL;
	}
	struct vcpu_boot_state boot;
	if (guest_boot_prepare(vm, phys_to_ptr(module->start), module->end - module->start, &boot,
			       error, error_size)) {
		vm_devices_release(vm);
		phys_free(ram, config.mem);
		return NULL;
	}
	vm->vcpu_count = config.vcpus;
	if (vm->vcpu_count > 1)
		iobus_lock_devices(&vm->io, &vm->dev_lock); /* every port is registered by now */
	if (vm->vcpu_count > 1) {			    /* IPIs need local APICs */
		vm->has_lapic = vm->has_intc = true;
		vm_apic_reset(vm);
		if (vm->has_pic)
			vm_ioapic_attach(vm); /* and a PC's interrupt lines an IOAPIC */
	}
	bool created = backend_vm_create(vm);
	for (unsigned i = 0; created && i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct vcpu_boot_state waiting;
		sipi_state(&waiting, 0);
		v->vm = vm;
		v->index = i;
		v->cpu = placed[i];
		struct share_policy policy;
		vm_share_policy(&config, &policy);
		share_init(&v->share, &policy, rdtsc());
		v->run_state = i ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
		created = backend_vcpu_create(v, i ? &waiting : &boot);
	}
	if (!created) {
		if (vm->backend)
			backend_vm_destroy(vm); /* what backend_vm_create took */
		vm_devices_release(vm);
		phys_free(ram, config.mem);
		REFUSE("the virtualization backend could not set it up (see above)");
	}
	if (is_fresh(vm))
		__atomic_store_n(&vms_used, vms_used + 1, __ATOMIC_RELEASE);
	char where[64] = "";
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		__atomic_add_fetch(&cpus[vm->vcpus[i].cpu].vcpus, 1, __ATOMIC_RELAXED);
		size_t n = strlen(where);
		if (n < sizeof(where) - 8)
			ksnprintf(where + n, sizeof(where) - n, "%s%u", i ? "," : "",
				  vm->vcpus[i].cpu);
	}
	printk("kan: vm %u '%s': %lu MiB at host 0x%lx, %s guest entry 0x%lx, %s %s, slice %u us, "
	       "kan overhead %lu KiB\n",
	       vm->id, vm->config.name, vm->config.mem >> 20, vm->ram_base,
	       boot.mode == GUEST_MODE_REAL	   ? "real-mode"
	       : boot.mode == GUEST_MODE_PROTECTED ? "32-bit"
						   : "64-bit",
	       boot.rip, vm->vcpu_count > 1 ? "vcpus on cpus" : "cpu", where, vm->config.slice_us,
	       vm->kan_bytes >> 10);
	return vm;
}

void vms_create_from_boot(const struct boot_info *boot, const struct kan_config *kan)
{
	char error[160];
	kan_defaults = kan;
	if (boot->module_count) {
		uint64_t bytes = boot->module_count * sizeof(struct data_module);
		data_modules = phys_to_ptr(phys_alloc(bytes, PAGE_SIZE));
	}
	/* First the data modules (initrds), so that any VM line may name one. */
	for (int i = 0; i < boot->module_count; i++) {
		const struct boot_module *m = &boot->modules[i];
		struct vm_config config;
		struct vm_config_limits limits = { percpu_present(), kan->default_slice_us,
						   "initrd" };
		if (m->cmdline_cut ||
		    vm_config_parse(m->cmdline, &limits, &config, error, sizeof(error)) ||
		    (config.kind != VM_KIND_INITRD && config.kind != VM_KIND_DISK &&
		     config.kind != VM_KIND_DATA))
			continue;
		if (!data_modules) {
			printk("kan: module '%s': initrd, but no memory to note it: unused\n",
			       config.name);
			continue;
		}
		data_modules[data_module_count].module = m;
		data_modules[data_module_count].kind = config.kind;
		strlcpy(data_modules[data_module_count++].name, config.name, KAN_VM_NAME_MAX);
		if (config.kind == VM_KIND_DISK)
			vm_disk_add(config.name, m);
		else if (config.kind == VM_KIND_DATA)
			printk("kan: module '%s': data, %lu KiB\n", config.name,
			       (m->end - m->start) >> 10);
		else
			printk("kan: module '%s': initrd, %lu KiB\n", config.name,
			       (m->end - m->start) >> 10);
	}
	for (int i = 0; i < boot->module_count; i++) {
		const struct boot_module *m = &boot->modules[i];
		bool is_data = false;
		for (unsigned d = 0; d < data_module_count; d++)
			is_data |= data_modules[d].module == m;
		if (is_data)
			continue;
		if (m->cmdline_cut) {
			printk("kan: refused guest module '%s...': its line is longer than %d "
			       "characters\n",
			       m->cmdline, BOOT_CMDLINE_MAX - 1);
			continue;
		}
		struct vm *vm = vm_create(m, m->cmdline, error, sizeof(error));
		if (!vm) {
			printk("kan: refused guest module '%s': %s\n", m->cmdline, error);
			continue;
		}
		if (vm->config.autostart && vm_apply(vm, VM_DO_START, "autostart"))
			sched_add(vm_boot_vcpu(vm));
	}
}
