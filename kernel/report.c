#include "kernel/report.h"
#include "arch/x86_64/interrupts.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vcpu_backend.h"
#include "kernel/vm.h"

static void describe_end(const struct vm *vm, char *buf, size_t size)
{
	if (vm->exited)
		ksnprintf(buf, size, "status %ld", vm->exit_status);
	else
		ksnprintf(buf, size, "%s", vm->stop_reason[0] ? vm->stop_reason : "-");
}

void report_vm_exits(const struct vm *vm)
{
	char line[400];
	int n = ksnprintf(line, sizeof(line), "kan:     exits:");
	for (unsigned i = 0; i < VCPU_EXIT_REASONS; i++) {
		uint64_t count = 0;
		for (unsigned k = 0; k < vm->vcpu_count; k++)
			count += vm->vcpus[k].exits[i];
		if (!count || n >= (int)sizeof(line))
			continue;
		const char *name = backend_exit_name(i);
		n += ksnprintf(line + n, sizeof(line) - (size_t)n, " %s=%lu", name ? name : "?",
			       count);
	}
	printk("%s (vm %s)\n", line, vm->config.name);
	if (vm->msr_refused || vm->io.unowned_accesses || vm->uart.bytes_dropped)
		printk("kan:     refused: %lu MSR accesses (#GP), %lu accesses to unowned ports, "
		       "%lu console bytes dropped\n",
		       vm->msr_refused, vm->io.unowned_accesses, vm->uart.bytes_dropped);
	if (vm->io.unowned_accesses) {
		char ports[IOBUS_UNOWNED_PORTS * 28];
		int m = 0;
		for (unsigned i = 0; i < IOBUS_UNOWNED_PORTS && vm->io.unowned[i].accesses; i++)
			m += ksnprintf(ports + m, sizeof(ports) - (size_t)m, " 0x%x x%lu",
				       vm->io.unowned[i].port, vm->io.unowned[i].accesses);
		printk("kan:     unowned ports first touched:%s\n", ports);
	}
	vm_devices_report(vm);
}

void report_vm_table(void)
{
	printk("kan: %-3s %-16s %-8s %4s %12s %10s  %s\n", "id", "vm", "state", "cpu",
	       "cpu-time-us", "exits", "end");
	char end[160];
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_by_index(i);
		describe_end(vm, end, sizeof(end));
		printk("kan: %-3u %-16s %-8s %4u %12lu %10lu  %s\n", vm->id, vm->config.name,
		       vm_state_name(vm->state), vm->vcpus[0].cpu, time_tsc_to_us(vm_cpu_time(vm)),
		       vm_exits_total(vm), end);
		report_vm_exits(vm);
	}
	vm_disks_report();
	for (unsigned i = 0; i < percpu_count(); i++) {
		const struct cpu *c = &cpus[i];
		uint64_t total = c->busy_tsc + c->idle_tsc;
		if (!percpu_is_present(i))
			continue;
		char nmis[40] = "";
		if (nmi_count_in_kan(i))
			ksnprintf(nmis, sizeof(nmis), ", %lu NMIs in kan", nmi_count_in_kan(i));
		printk("kan: cpu %u: %u vCPU(s), busy %lu%% of %lu us%s\n", i, c->vcpus,
		       total ? c->busy_tsc * 100 / total : 0, time_tsc_to_us(total), nmis);
		if (nmi_count_from_guests(i))
			printk("kan: cpu %u: %lu NMIs arrived while guests ran, handled as kan's\n",
			       i, nmi_count_from_guests(i));
	}
	/* One line a script can check: every VM and how it ended. Many VMs take several lines,
	 * each whole (a guest may be printing meanwhile) and each starting the same way. */
	char summary[400], entry[KAN_VM_NAME_MAX + 32];
	size_t n = 0;
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_by_index(i);
		if (vm->exited)
			ksnprintf(entry, sizeof(entry), " %s=exited(%ld)", vm->config.name,
				  vm->exit_status);
		else
			ksnprintf(entry, sizeof(entry), " %s=%s", vm->config.name,
				  vm_state_name(vm->state));
		if (n && n + strlen(entry) >= sizeof(summary)) {
			printk("kan: summary:%s\n", summary);
			n = 0;
		}
		n += (size_t)ksnprintf(summary + n, sizeof(summary) - n, "%s", entry);
	}
	printk("kan: summary:%s\n", n ? summary : "");
}
