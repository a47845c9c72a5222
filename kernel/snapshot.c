/*
 * vm snapshot, vm restore, vm forget. The copy is made by the VM's CPU between two of its
 * slices (sched_call_on), so the guest is held for the copy and runs on after it, none the
 * wiser; the restored VM is a fresh vm_create from the same config line with a new name,
 * whose RAM, vCPU (backend_vcpu_load) and UART are then overwritten with the copy's before
 * it first runs. Its TSC goes on from the snapshot's value (the backends' TSC offset), so
 * that a guest measuring time sees no jump; so do its PIT and PM timer, which count on kan's
 * clock: they are moved by the time the snapshot was away. Only what kan can copy whole is
 * accepted: one vCPU, the 8259/8254 board of a Linux VM (not local APICs), a read-only disk
 * (a writable one's contents are not in the snapshot), and no NIC.
 */
#include "kernel/snapshot.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/xstate.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/memory.h"
#include "kernel/sched.h"
#include "kernel/snapshot_line.h"
#include "kernel/string.h"
#include "kernel/vcpu_backend.h"
#include "kernel/devices/virtio_blk.h"

#define SNAPSHOTS_MAX 8

struct snapshot {
	bool used;
	char name[KAN_VM_NAME_MAX];
	char from[KAN_VM_NAME_MAX]; /* the VM it was taken of */
	char cmdline[BOOT_CMDLINE_MAX];
	const struct boot_module *module;
	uint64_t mem, ram;   /* the guest's RAM size, and where its copy is */
	uint64_t xsave;	     /* the extended state's copy */
	uint64_t held_ticks; /* how long the VM's CPU spent on the copy */
	struct vcpu_snapshot vcpu;
	uint64_t host_tsc; /* kan's clock at the copy: the board's timers are moved from it */
	struct vuart uart; /* its UART's registers and unfinished line */
	struct vpic pic;   /* a Linux VM's 8259 pair and 8254 */
	struct pcboard board;
	struct virtio_mmio disk; /* a read-only disk's transport: what its driver set up */
};

static struct snapshot snapshots[SNAPSHOTS_MAX];

static uint64_t xsave_bytes(void)
{
	return (xstate.size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

static struct snapshot *snapshot_find(const char *name)
{
	for (unsigned i = 0; i < SNAPSHOTS_MAX; i++)
		if (snapshots[i].used && !strcmp(snapshots[i].name, name))
			return &snapshots[i];
	return NULL;
}

/* Why kan cannot snapshot the VM now, or NULL. */
static const char *cannot_snapshot(const struct vm *vm)
{
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED)
		return vm_state_name(vm->state);
	if (__atomic_load_n(&vm->pending, __ATOMIC_ACQUIRE) != -1)
		return "busy with an earlier command";
	if (vm->reset_requested || vm->end_pending)
		return "ending or resetting";
	return NULL;
}

/* Why kan never snapshots a VM like this one, or NULL. */
static const char *unsupported(const struct vm *vm)
{
	if (vm->vcpu_count > 1)
		return "it has several vCPUs (snapshots hold one)";
	if (vm->devices.disk && !vm->devices.disk->read_only)
		return "it has a writable virtio disk (disk=), whose contents a snapshot does not "
		       "hold (give it read-only: disk=NAME:ro)";
	if (vm->devices.net)
		return "it has a virtio NIC (net=): its copy would answer to the same address on "
		       "the same switch";
	if (vm->has_lapic || vm->has_ioapic)
		return "it has local APICs, whose timers a snapshot does not hold";
	return NULL;
}

struct take_job {
	struct vm *vm;
	struct snapshot *snap;
	const char *refused; /* set by the VM's CPU if the VM changed meanwhile */
};

/*
 * RAM in 8-byte moves (the RAM is 2 MiB-aligned and sized in pages), with this CPU's
 * interrupts on: a copy of many MiB must not keep the console and the shell's input waiting
 * (the VM itself stays out of the guest: this runs between two of its slices).
 */
static void copy_ram(void *to, const void *from, uint64_t bytes)
{
	uint64_t words = bytes / 8;
	__asm__ volatile("sti; rep movsq; cli" : "+D"(to), "+S"(from), "+c"(words) : : "memory");
}

/* On the VM's CPU, between two of its slices: the copy. */
static void take_here(void *arg)
{
	struct take_job *job = arg;
	struct vm *vm = job->vm;
	struct snapshot *snap = job->snap;
	job->refused = cannot_snapshot(vm);
	if (job->refused)
		return;
	uint64_t start = rdtsc();
	copy_ram(phys_to_ptr(snap->ram), phys_to_ptr(vm->ram_base), snap->mem);
	snap->vcpu.xsave = phys_to_ptr(snap->xsave);
	backend_vcpu_save(vm_boot_vcpu(vm), &snap->vcpu);
	snap->host_tsc = rdtsc();
	snap->uart = vm->uart;
	snap->pic = vm->pic;
	snap->board = vm->board;
	if (vm->devices.disk)
		snap->disk = vm->devices.disk->transport;
	snap->held_ticks = rdtsc() - start;
}

static void pick_name(const struct vm *vm, char *name, size_t size)
{
	for (unsigned n = 1;; n++) {
		ksnprintf(name, size, "%s.%u", vm->config.name, n);
		if (!snapshot_find(name))
			return;
	}
}

void snapshot_take(struct vm *vm, const char *options)
{
	char name[KAN_VM_NAME_MAX], rest[8], error[96];
	const char *why = cannot_snapshot(vm);
	if (!why)
		why = unsupported(vm);
	if (why) {
		printk("kan: vm snapshot refused: vm %s: %s\n", vm->config.name, why);
		return;
	}
	if (snapshot_parse_as(options, name, sizeof(name), rest, sizeof(rest), error,
			      sizeof(error)) ||
	    rest[0]) {
		printk("kan: vm snapshot refused: %s\n", rest[0] ? "words after 'as NAME'" : error);
		return;
	}
	if (!name[0])
		pick_name(vm, name, sizeof(name));
	if (snapshot_find(name)) {
		printk("kan: vm snapshot refused: snapshot name '%s' is taken (vm forget it "
		       "first)\n",
		       name);
		return;
	}
	struct snapshot *snap = NULL;
	for (unsigned i = 0; !snap && i < SNAPSHOTS_MAX; i++)
		if (!snapshots[i].used)
			snap = &snapshots[i];
	if (!snap) {
		printk("kan: vm snapshot refused: kan holds %u snapshots already (vm forget one)\n",
		       SNAPSHOTS_MAX);
		return;
	}
	uint64_t mem = vm->config.mem;
	uint64_t ram = phys_alloc(mem, PAGE_SIZE), xsave = phys_alloc(xsave_bytes(), PAGE_SIZE);
	if (!ram || !xsave) {
		if (ram)
			phys_free(ram, mem);
		if (xsave)
			phys_free(xsave, xsave_bytes());
		printk("kan: vm snapshot refused: not enough memory for vm %s's %lu MiB (%lu MiB "
		       "free)\n",
		       vm->config.name, mem >> 20, phys_free_bytes() >> 20);
		return;
	}
	memset(snap, 0, sizeof(*snap));
	strlcpy(snap->name, name, sizeof(snap->name));
	strlcpy(snap->from, vm->config.name, sizeof(snap->from));
	strlcpy(snap->cmdline, vm->cmdline, sizeof(snap->cmdline));
	snap->module = vm->module;
	snap->mem = mem;
	snap->ram = ram;
	snap->xsave = xsave;
	struct take_job job = { vm, snap, NULL };
	sched_call_on(vm_boot_vcpu(vm)->cpu, take_here, &job);
	if (job.refused) {
		phys_free(ram, mem);
		phys_free(xsave, xsave_bytes());
		printk("kan: vm snapshot refused: vm %s: %s\n", vm->config.name, job.refused);
		return;
	}
	snap->used = true;
	printk("kan: vm %s: snapshot %s taken: %lu MiB RAM and 1 vCPU, %lu KiB of kan's memory; "
	       "the VM was held %lu TSC ticks for it; devices: UART%s%s\n",
	       vm->config.name, snap->name, mem >> 20, (mem + xsave_bytes()) >> 10,
	       snap->held_ticks, vm->has_pic ? ", 8259 pair, 8254, board (CMOS, PM timer)" : "",
	       vm->devices.disk ? ", read-only disk's virtqueues" : "");
}

struct load_job {
	struct vm *vm;
	const struct snapshot *snap;
	bool loaded;
};

/* On the new VM's CPU, before it ever runs. */
static void load_here(void *arg)
{
	struct load_job *job = arg;
	struct vm *vm = job->vm;
	const struct snapshot *snap = job->snap;
	job->loaded = backend_vcpu_load(vm_boot_vcpu(vm), &snap->vcpu);
	/* The guest's TSC goes on from the copy's: so do the board's timers. */
	uint64_t away = rdtsc() - snap->host_tsc;
	if (vm->has_pic) {
		vpic_copy_state(&vm->pic, &snap->pic, away);
		pcboard_copy_state(&vm->board, &snap->board, away);
	}
	if (vm->devices.disk)
		virtio_mmio_copy_state(&vm->devices.disk->transport, &snap->disk);
}

/* The UART's registers and its unfinished line; its name, budget and input stay the VM's. */
static void restore_uart(struct vuart *to, const struct vuart *from)
{
	memcpy(to->line, from->line, sizeof(to->line));
	to->len = from->len;
	to->ier = from->ier;
	to->lcr = from->lcr;
	to->mcr = from->mcr;
	to->scr = from->scr;
	to->dll = from->dll;
	to->dlm = from->dlm;
	to->thre_interrupt = from->thre_interrupt;
}

void snapshot_restore(const char *name, const char *options)
{
	char new_name[KAN_VM_NAME_MAX], rest[160], error[160];
	char *line = NULL;
	struct snapshot *snap = snapshot_find(name);
	if (!snap) {
		printk("kan: vm restore refused: no snapshot '%s' (vm list shows them)\n", name);
		return;
	}
	if (snapshot_parse_as(options, new_name, sizeof(new_name), rest, sizeof(rest), error,
			      sizeof(error)) ||
	    !new_name[0]) {
		printk("kan: vm restore refused: %s\n",
		       new_name[0] ? error : "it needs 'as NAME' (the new VM's name)");
		return;
	}
	uint64_t line_phys = phys_alloc(BOOT_CMDLINE_MAX, PAGE_SIZE);
	if (line_phys)
		line = phys_to_ptr(line_phys);
	if (!line || snapshot_restore_line(snap->cmdline, new_name, rest, line, BOOT_CMDLINE_MAX)) {
		printk("kan: vm restore refused: %s\n",
		       line ? "its config line would be too long" : "out of memory");
		if (line)
			phys_free(line_phys, BOOT_CMDLINE_MAX);
		return;
	}
	struct vm *vm = vm_create(snap->module, line, error, sizeof(error));
	phys_free(line_phys, BOOT_CMDLINE_MAX);
	if (!vm) {
		printk("kan: vm restore refused: %s\n", error);
		return;
	}
	if (vm->config.mem != snap->mem || vm->vcpu_count != 1 || unsupported(vm)) {
		printk("kan: vm restore refused: vm %s would not be the snapshot's machine (mem=, "
		       "vcpus=, kind= and devices must stay)\n",
		       new_name);
		vm_request(vm, VM_DO_DESTROY, error, sizeof(error));
		return;
	}
	copy_ram(phys_to_ptr(vm->ram_base), phys_to_ptr(snap->ram), snap->mem);
	restore_uart(&vm->uart, &snap->uart);
	struct load_job job = { vm, snap, false };
	sched_call_on(vm_boot_vcpu(vm)->cpu, load_here, &job);
	if (!job.loaded) {
		printk("kan: vm restore refused: the backend could not load the snapshot's vCPU "
		       "(see above)\n");
		vm_request(vm, VM_DO_DESTROY, error, sizeof(error));
		return;
	}
	printk("kan: vm %s: restored from snapshot %s (of vm %s) on cpu %u\n", new_name, snap->name,
	       snap->from, vm_boot_vcpu(vm)->cpu);
	if (vm_request(vm, VM_DO_START, error, sizeof(error)))
		printk("kan: %s\n", error);
}

void snapshot_forget(const char *name)
{
	struct snapshot *snap = snapshot_find(name);
	if (!snap) {
		printk("kan: vm forget refused: no snapshot '%s' (vm list shows them)\n", name);
		return;
	}
	phys_free(snap->ram, snap->mem);
	phys_free(snap->xsave, xsave_bytes());
	snap->used = false;
	printk("kan: snapshot %s forgotten: %lu KiB back to kan\n", name,
	       (snap->mem + xsave_bytes()) >> 10);
}

void snapshot_list(void)
{
	for (unsigned i = 0; i < SNAPSHOTS_MAX; i++) {
		const struct snapshot *s = &snapshots[i];
		if (s->used)
			printk("kan: snapshot %-16s of vm %-16s %8lu MiB RAM, %lu KiB of kan's "
			       "memory\n",
			       s->name, s->from, s->mem >> 20, (s->mem + xsave_bytes()) >> 10);
	}
}
