/*
 * The management shell: ACRN's serial shell is the model. Bytes arrive in COM1's interrupt
 * and wait in a ring; the boot CPU's scheduler loop turns lines into commands. Lifecycle
 * commands are posted to the CPU that runs the VM (vm_request), which carries them out.
 */
#include "kernel/shell.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/report.h"
#include "kernel/sched.h"
#include "kernel/shell_parse.h"
#include "kernel/snapshot.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/trace.h"
#include "kernel/vm.h"
#include "kernel/vm_move.h"

#define INPUT_RING  256	 /* a power of two */
#define ESCAPE_CHAR 0x1d /* Ctrl-]: back from a VM's console to kan */
#define PROMPT	    "kan> "

static char input[INPUT_RING];
static uint32_t input_head, input_tail; /* interrupt writes head, shell_poll reads tail */
static char line[SHELL_LINE_MAX];
static unsigned line_len;
static struct vm *attached; /* whose console the keyboard types into */
static enum shell_log_level log_level = LOG_NORMAL;

bool shell_input(char c)
{
	struct vm *vm = __atomic_load_n(&attached, __ATOMIC_ACQUIRE);
	if (vm && c != ESCAPE_CHAR) {
		vuart_receive(&vm->uart, c); /* a full FIFO drops it, as a real UART would */
		if (vm->has_intc)
			sched_wake(vm_boot_vcpu(vm)); /* its interrupt wakes it from HLT */
		return false;
	}
	uint32_t head = input_head;
	if (head - __atomic_load_n(&input_tail, __ATOMIC_ACQUIRE) == INPUT_RING)
		return true; /* full: let the shell catch up */
	input[head % INPUT_RING] = c;
	__atomic_store_n(&input_head, head + 1, __ATOMIC_RELEASE);
	return c == '\r' || c == '\n' || c == ESCAPE_CHAR;
}

static void help(void)
{
	static const char *const lines[] = {
		"vm list                    every VM: id, name, state, CPU, memory, CPU time, "
		"exits",
		"vm info ID|NAME            its config, exits by reason, how it last stopped",
		"vm start|stop|restart ID|NAME",
		"vm pause|resume ID|NAME",
		"vm destroy ID|NAME         stop it and free its memory",
		"vm create FROM key=value.. a new VM from FROM's image (FROM: a VM id or name)",
		"vm set ID|NAME key=value.. change slice, weight, cap, budget+period, cpus live",
		"vm snapshot ID|NAME [as SNAP]  copy its RAM, vCPU and devices into kan's memory",
		"vm restore SNAP as NAME [cpus=..]  a new VM that continues from the snapshot",
		"vm forget SNAP             free a snapshot",
		"vm move ID|NAME[:VCPU] CPU run its vCPU (0 unless given) on CPU from now on",
		"console ID|NAME            type into the VM's UART; Ctrl-] comes back",
		"cpu list                   each CPU: its vCPUs, what runs, how busy",
		"stats                      VM exits by reason, per VM",
		"log [quiet|normal|verbose] quiet hides the guests' output; verbose shows requests",
		"trace on [exits|exits=NAME,..]  record runs (and exits) per CPU; trace off",
		"trace dump|trace           the record as Chrome trace JSON; its status",
		"shutdown                   stop everything and end kan",
	};
	printk("kan: commands:\n");
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		printk("  %s\n", lines[i]);
}

static void vm_list(void)
{
	printk("kan: %-3s %-16s %-9s %4s %8s %12s %10s %7s\n", "id", "name", "state", "cpu",
	       "mem-MiB", "cpu-time-us", "exits", "recent");
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_by_index(i);
		uint32_t recent = vm_recent_permille(vm);
		printk("kan: %-3u %-16s %-9s %4u %8lu %12lu %10lu %4u.%u%%\n", vm->id,
		       vm->config.name, vm_state_name(vm->state), vm->vcpus[0].cpu,
		       vm->config.mem >> 20, time_tsc_to_us(vm_cpu_time(vm)), vm_exits_total(vm),
		       recent / 10, recent % 10);
	}
	snapshot_list();
}

static void vm_info(const struct vm *vm)
{
	const struct guest_regs *r = &vm->vcpus[0].regs;
	printk("kan: vm %u '%s': %s, config '%s'\n", vm->id, vm->config.name,
	       vm_state_name(vm->state), vm->cmdline);
	printk("kan:   %lu MiB at host 0x%lx, cpu %u, slice %u us, on_crash=%s (%u of %u "
	       "restarts used)\n",
	       vm->config.mem >> 20, vm->ram_base, vm->vcpus[0].cpu, vm->config.slice_us,
	       vm->config.restart_on_crash ? "restart" : "stop", vm->restarts,
	       vm->config.restart_limit);
	uint64_t periods = 0, missed = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		periods += vm->vcpus[i].share.periods, missed += vm->vcpus[i].share.missed;
	if (vm->config.period_us)
		printk("kan:   share: weight %u, cap %u%%, reserved %lu us every %lu us: %lu "
		       "periods, %lu missed\n",
		       vm->config.weight, vm->config.cap_pct ? vm->config.cap_pct : 100,
		       vm->config.budget_us, vm->config.period_us, periods, missed);
	else
		printk("kan:   share: weight %u, cap %u%%, no reservation\n", vm->config.weight,
		       vm->config.cap_pct ? vm->config.cap_pct : 100);
	for (unsigned i = 0; vm->vcpu_count > 1 && i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		printk("kan:   vcpu %u: cpu %u, %s, cpu time %lu us, %lu exits\n", i, v->cpu,
		       v->run_state == VCPU_RUNNABLE ? "started" : "waiting for SIPI",
		       time_tsc_to_us(vcpu_cpu_time(v)), vcpu_exits_total(v));
	}
	char runs[200];
	int n = 0;
	for (unsigned i = 0; i < vm->vcpu_count && n < (int)sizeof(runs); i++)
		n += ksnprintf(runs + n, sizeof(runs) - (size_t)n, " %lu", vm->vcpus[i].runs);
	printk("kan:   runs:%s (slices given, per vCPU)\n", runs);
	printk("kan:   last stop: %s\n", vm->stop_reason[0] ? vm->stop_reason : "-");
	report_vm_exits(vm);
	if (vm->state != VM_RUNNING)
		printk("kan:   RAX %lx RBX %lx RCX %lx RDX %lx RSI %lx RDI %lx RBP %lx\n"
		       "kan:   R8 %lx R9 %lx R10 %lx R11 %lx R12 %lx R13 %lx R14 %lx R15 %lx\n",
		       r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10,
		       r->r11, r->r12, r->r13, r->r14, r->r15);
}

static void cpu_list(void)
{
	for (unsigned i = 0; i < percpu_count(); i++) {
		const struct cpu *c = &cpus[i];
		if (!percpu_is_present(i))
			continue;
		uint64_t total = c->busy_tsc + c->idle_tsc;
		const struct vcpu *cur = c->current;
		uint32_t recent = busy_window_permille(&c->recent, rdtsc(), c->busy_tsc,
						       time_us_to_tsc(RECENT_WINDOW_US));
		printk("kan: cpu %u (APIC id %u): %u vCPU(s) placed, %u queued, running %s, busy "
		       "%lu%% since boot, %u.%u%% in the last %u s\n",
		       i, c->apic_id, c->vcpus, c->queue.length, cur ? cur->vm->config.name : "-",
		       total ? c->busy_tsc * 100 / total : 0, recent / 10, recent % 10,
		       RECENT_WINDOW_US / 1000000);
	}
}

static const enum vm_transition_cause lifecycle_causes[] = {
	[SHELL_VM_START] = VM_DO_START,	    [SHELL_VM_STOP] = VM_DO_STOP,
	[SHELL_VM_RESTART] = VM_DO_RESTART, [SHELL_VM_PAUSE] = VM_DO_PAUSE,
	[SHELL_VM_RESUME] = VM_DO_RESUME,   [SHELL_VM_DESTROY] = VM_DO_DESTROY,
};

static void vm_create_command(const struct shell_command *cmd)
{
	char error[160];
	struct vm *from = vm_find(cmd->target);
	if (!from) {
		printk("kan: no VM '%s' to take the image from (vm list shows them)\n",
		       cmd->target);
		return;
	}
	struct vm *vm = vm_create(from->module, cmd->options, error, sizeof(error));
	if (!vm) {
		printk("kan: vm create refused: %s\n", error);
		return;
	}
	if (vm->config.autostart && vm_request(vm, VM_DO_START, error, sizeof(error)))
		printk("kan: %s\n", error);
}

static void run(const struct shell_command *cmd)
{
	char error[160];
	struct vm *vm = NULL;
	if (cmd->verb >= SHELL_VM_INFO && cmd->verb <= SHELL_VM_DESTROY) {
		vm = vm_find(cmd->target);
		if (!vm) {
			printk("kan: no VM '%s' (vm list shows them)\n", cmd->target);
			return;
		}
	}
	switch (cmd->verb) {
	case SHELL_NONE:
		break;
	case SHELL_HELP:
		help();
		break;
	case SHELL_VM_LIST:
		vm_list();
		break;
	case SHELL_VM_INFO:
		vm_info(vm);
		break;
	case SHELL_VM_START:
	case SHELL_VM_STOP:
	case SHELL_VM_RESTART:
	case SHELL_VM_PAUSE:
	case SHELL_VM_RESUME:
	case SHELL_VM_DESTROY:
		if (vm_request(vm, lifecycle_causes[cmd->verb], error, sizeof(error)))
			printk("kan: %s\n", error);
		else if (log_level == LOG_VERBOSE)
			printk("kan: %s for vm %s posted to cpu %u\n",
			       vm_cause_name(lifecycle_causes[cmd->verb]), vm->config.name,
			       vm->vcpus[0].cpu);
		break;
	case SHELL_VM_CREATE:
		vm_create_command(cmd);
		break;
	case SHELL_VM_SET:
		vm = vm_find(cmd->target);
		if (!vm)
			printk("kan: no VM '%s' (vm list shows them)\n", cmd->target);
		else if (vm_set(vm, cmd->options, error, sizeof(error)))
			printk("kan: vm set refused: %s\n", error);
		break;
	case SHELL_VM_SNAPSHOT:
		vm = vm_find(cmd->target);
		if (!vm)
			printk("kan: vm snapshot refused: no VM '%s' (vm list shows them)\n",
			       cmd->target);
		else
			snapshot_take(vm, cmd->options);
		break;
	case SHELL_VM_RESTORE:
		snapshot_restore(cmd->target, cmd->options);
		break;
	case SHELL_VM_FORGET:
		snapshot_forget(cmd->target);
		break;
	case SHELL_VM_MOVE:
		vm = vm_find(cmd->target);
		if (!vm)
			printk("kan: no VM '%s' (vm list shows them)\n", cmd->target);
		else if (vm_move(vm, cmd->move_vcpu, cmd->move_cpu, error, sizeof(error)))
			printk("kan: vm move refused: %s\n", error);
		else if (log_level == LOG_VERBOSE)
			printk("kan: the move took %lu TSC ticks, %lu of them on the old cpu\n",
			       vm_move_last_cost.total, vm_move_last_cost.errand);
		break;
	case SHELL_CONSOLE:
		vm = vm_find(cmd->target);
		if (!vm || vm->state == VM_DESTROYED) {
			printk("kan: no VM '%s' to attach to\n", cmd->target);
			break;
		}
		printk("kan: console attached to vm %s; Ctrl-] returns to kan\n", vm->config.name);
		__atomic_store_n(&attached, vm, __ATOMIC_RELEASE);
		return; /* no prompt while attached */
	case SHELL_CPU_LIST:
		cpu_list();
		break;
	case SHELL_STATS:
		for (unsigned i = 0; i < vm_count(); i++)
			report_vm_exits(vm_by_index(i));
		break;
	case SHELL_LOG:
		if (cmd->has_log_level) {
			log_level = cmd->log_level;
			console_show_guest_output(log_level != LOG_QUIET);
		}
		printk("kan: log level %s\n", log_level == LOG_QUIET	 ? "quiet"
					      : log_level == LOG_VERBOSE ? "verbose"
									 : "normal");
		break;
	case SHELL_TRACE:
		if (trace_command(cmd->options))
			return; /* the prompt follows the dump's end */
		break;
	case SHELL_SHUTDOWN:
		report_vm_table();
		kan_shutdown(0, "by command");
	}
	printk(PROMPT);
}

void shell_poll(void)
{
	while (input_tail != __atomic_load_n(&input_head, __ATOMIC_ACQUIRE)) {
		char c = input[input_tail % INPUT_RING];
		__atomic_store_n(&input_tail, input_tail + 1, __ATOMIC_RELEASE);
		if (c == ESCAPE_CHAR) {
			if (__atomic_exchange_n(&attached, NULL, __ATOMIC_ACQ_REL))
				printk("\nkan: console detached\n" PROMPT);
			continue;
		}
		if (c == '\b' || c == 0x7f) {
			if (line_len) {
				line_len--;
				printk("\b \b");
			}
			continue;
		}
		if (c != '\r' && c != '\n') {
			if (line_len < SHELL_LINE_MAX - 1 && c >= 0x20 && c < 0x7f) {
				line[line_len++] = c;
				printk("%c", c);
			}
			continue;
		}
		line[line_len] = '\0';
		line_len = 0;
		printk("\n");
		struct shell_command cmd;
		char error[160];
		if (shell_parse(line, &cmd, error, sizeof(error))) {
			printk("kan: %s\n" PROMPT, error);
			continue;
		}
		run(&cmd);
	}
}

void shell_prompt(void)
{
	printk(PROMPT);
}

void shell_start(void)
{
	printk("kan: shell ready on COM1 (type help)\n" PROMPT);
}
