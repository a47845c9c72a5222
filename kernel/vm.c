#include "kernel/vm.h"
#include "guests/include/kan_guest.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/guest_boot.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/vcpu_backend.h"

#include <stdarg.h>

static struct vm vms[KAN_MAX_VMS];
static unsigned vms_used;

const char *vm_state_name(enum vm_state state)
{
	static const char *const names[] = {
		[VM_CREATED] = "created", [VM_RUNNING] = "running", [VM_EXITED] = "exited",
		[VM_STOPPED] = "stopped", [VM_FAILED] = "failed",
	};
	return names[state];
}

unsigned vm_count(void)
{
	return vms_used;
}

struct vm *vm_by_index(unsigned i)
{
	return &vms[i];
}

void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->config.mem || len > vm->config.mem - gpa)
		return NULL;
	return phys_to_ptr(vm->ram_base + gpa);
}

void vm_exit(struct vm *vm, int64_t status)
{
	vuart_flush(&vm->uart);
	vm->state = VM_EXITED;
	vm->exit_status = status;
	printk("kan: vm %s ended: exit status %ld\n", vm->config.name, status);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
	vuart_flush(&vm->uart);
	vm->state = VM_STOPPED;
	printk("kan: vm %s stopped: %s\n", vm->config.name, vm->stop_reason);
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

/* The allowed CPU with the fewest vCPUs so far: a vCPU stays where it is placed. */
static unsigned place_vcpu(uint64_t allowed)
{
	unsigned best = (unsigned)__builtin_ctzll(allowed);
	for (unsigned i = best; i < KAN_MAX_CPUS; i++)
		if ((allowed & (1ull << i)) && cpus[i].vcpus < cpus[best].vcpus)
			best = i;
	return best;
}

static void refuse(const struct boot_module *m, const char *why)
{
	printk("kan: refused guest module '%s': %s\n", m->cmdline, why);
}

static void vm_create(const struct boot_module *m, const struct kan_config *kan)
{
	char error[160], fallback[KAN_VM_NAME_MAX];
	if (vms_used == KAN_MAX_VMS) {
		ksnprintf(error, sizeof(error), "kan runs at most %d VMs", KAN_MAX_VMS);
		refuse(m, error);
		return;
	}
	struct vm *vm = &vms[vms_used];
	memset(vm, 0, sizeof(*vm));
	default_name(m->cmdline, fallback, sizeof(fallback));
	struct vm_config_limits limits = {percpu_present_mask(), kan->default_slice_us, fallback};
	if (vm_config_parse(m->cmdline, &limits, &vm->config, error, sizeof(error))) {
		refuse(m, error);
		return;
	}
	for (unsigned i = 0; i < vms_used; i++) {
		if (!strcmp(vms[i].config.name, vm->config.name)) {
			ksnprintf(error, sizeof(error), "key 'name' has bad value '%s' (another VM has it)",
				  vm->config.name);
			refuse(m, error);
			return;
		}
	}
	vm->id = vms_used + 1;
	vm->cmdline = m->cmdline;
	/* 2 MiB alignment lets the backend map the RAM with large pages. */
	vm->ram_base = phys_alloc(vm->config.mem, 2ull << 20);
	if (!vm->ram_base) {
		ksnprintf(error, sizeof(error), "key 'mem' asks for %lu MiB, which does not fit (%lu MiB free)",
			  vm->config.mem >> 20, phys_free_bytes() >> 20);
		refuse(m, error);
		return;
	}
	struct vcpu_boot_state boot;
	if (guest_boot_prepare(vm, phys_to_ptr(m->start), m->end - m->start, &boot, error,
			       sizeof(error))) {
		phys_free(vm->ram_base, vm->config.mem);
		refuse(m, error);
		return;
	}
	vuart_init(&vm->uart, vm->config.name);
	iobus_register(&vm->io, KAN_UART_PORT, KAN_UART_PORT + 7, vuart_io, &vm->uart);
	vm->vcpu.vm = vm;
	vm->vcpu.cpu = place_vcpu(vm->config.cpu_mask);
	if (!backend_vm_create(vm) || !backend_vcpu_create(&vm->vcpu, &boot)) {
		phys_free(vm->ram_base, vm->config.mem);
		refuse(m, "the virtualization backend could not set it up (see above)");
		return;
	}
	vms_used++;
	cpus[vm->vcpu.cpu].vcpus++;
	vm->state = VM_CREATED;
	printk("kan: vm %u '%s': %lu MiB at host 0x%lx, %s guest entry 0x%lx, cpu %u, slice %u us, "
	       "kan overhead %lu KiB\n",
	       vm->id, vm->config.name, vm->config.mem >> 20, vm->ram_base,
	       boot.mode == GUEST_MODE_REAL ? "real-mode" : "64-bit", boot.rip, vm->vcpu.cpu,
	       vm->config.slice_us, vm->kan_bytes >> 10);
}

void vms_create_from_boot(const struct boot_info *boot, const struct kan_config *kan)
{
	for (int i = 0; i < boot->module_count; i++)
		vm_create(&boot->modules[i], kan);
	for (unsigned i = 0; i < vms_used; i++) {
		vms[i].state = VM_RUNNING;
		sched_add(&vms[i].vcpu);
	}
}
