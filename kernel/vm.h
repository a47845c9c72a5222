/* Partitions: a VM (one guest, its RAM, its devices, its policy) and its virtual CPU. */
#ifndef KAN_KERNEL_VM_H
#define KAN_KERNEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/busy_window.h"
#include "kernel/devices/iobus.h"
#include "kernel/limits.h"
#include "kernel/multiboot2.h"
#include "kernel/pause_loop.h"
#include "kernel/share.h"
#include "kernel/devices/pcboard.h"
#include "kernel/vm_config.h"
#include "kernel/vm_devices.h"
#include "kernel/vm_lifecycle.h"
#include "kernel/devices/vpic.h"
#include "kernel/devices/vioapic.h"
#include "kernel/devices/vlapic.h"
#include "kernel/devices/vuart.h"
#include "kernel/spinlock.h"

/* Counters per exit reason (VT-x: the basic reason; AMD-V: svm/vmcb.h's index). */
#define VCPU_EXIT_REASONS 160

/*
 * The guest's general registers, in the x86 encoding order so that a register number from an
 * instruction indexes gpr[]. RSP and RIP live in the backend's state (the slot for RSP is
 * unused). The layout is shared with the backend's entry stub.
 */
enum guest_gpr {
	GPR_RAX,
	GPR_RCX,
	GPR_RDX,
	GPR_RBX,
	GPR_RSP,
	GPR_RBP,
	GPR_RSI,
	GPR_RDI,
	GPR_R8,
	GPR_R9,
	GPR_R10,
	GPR_R11,
	GPR_R12,
	GPR_R13,
	GPR_R14,
	GPR_R15,
};

struct guest_regs {
	union {
		uint64_t gpr[16];
		struct {
			uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
			uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
		};
	};
};

struct vm;

/* Whether a vCPU may be run: the VM's state decides too (vm_vcpu_may_run). */
enum vcpu_run_state {
	VCPU_RUNNABLE,	/* on its CPU's run queue, or about to be */
	VCPU_WAIT_SIPI, /* an application processor before its start-up IPI (or after INIT) */
};

struct vcpu {
	struct guest_regs regs; /* first: the entry stub finds it at offset 0 */
	struct vm *vm;
	unsigned index; /* in its VM: 0 is the boot vCPU; also its local APIC ID */
	enum vcpu_run_state run_state;
	/* A start-up IPI reached it while it waited: its CPU resets it to real mode at
	 * sipi_vector << 12 before it runs again (the backend's state is that CPU's to touch). */
	bool start_pending;
	uint8_t sipi_vector;
	struct vlapic lapic; /* a VM with has_lapic: this vCPU's local APIC (APIC ID = index) */
	void *backend;	     /* the backend's per-vCPU state (for VT-x: the VMCS and friends) */
	/* Extended state (x87, SSE, AVX, AVX-512): the save area, 64-byte aligned, holds it
	 * while another vCPU has the CPU (arch/x86_64/xstate.h). XCR0 and CR4.OSXSAVE are the
	 * guest's, as its CPUID and XSETBV see them. */
	void *xsave_area;
	uint64_t xcr0;
	bool osxsave;
	unsigned cpu; /* the physical CPU this vCPU runs on */
	struct vcpu *next_in_queue;
	bool queued;	   /* on its CPU's run queue (guarded by that queue's lock) */
	uint64_t wake_tsc; /* after HLT: not run again before this TSC value */
	uint64_t cpu_time; /* TSC ticks spent in the guest and its exits, up to its last slice */
	uint64_t runs;	   /* slices it was given (vm info; the trace shows each) */
	uint64_t running_since;	   /* TSC when its current slice began; 0 when it is not running */
	struct busy_window recent; /* its share of its CPU lately (vm list), kept by its CPU */
	uint64_t exits[VCPU_EXIT_REASONS];
	struct pause_loop pause_loop; /* where every PAUSE exits: is it spinning? */
	struct share share;	      /* what of its CPU it is owed (weight, cap, reservation) */
};

struct vm {
	unsigned id; /* from 1 */
	/* Changed only through vm_apply, under `lock`, by a CPU that runs one of its vCPUs:
	 * whole-VM work (start, reset, destroy) is done by its boot vCPU's CPU, the home CPU. */
	enum vm_state state;
	struct spinlock lock;
	int pending; /* a lifecycle cause posted for that CPU (vm_request), or -1 */
	struct vm_config config;
	const struct boot_module *module; /* the image it boots from */
	const struct boot_module *initrd; /* kind=linux: its initrd= module, or NULL */
	/* kind=multiboot: its module= modules, config.module_count of them */
	const struct boot_module *boot_modules[VM_MODULES_MAX];
	char cmdline[BOOT_CMDLINE_MAX]; /* its config line, as given */
	uint64_t ram_base;		/* host-physical start of the VM's contiguous RAM */
	void *backend;			/* the backend's per-VM state (for VT-x: the EPT) */
	unsigned vcpu_count;
	struct vcpu vcpus[KAN_VM_VCPUS_MAX]; /* [0] is the boot vCPU */
	/* Its devices (UART, PIC, board, virtio), reached from the exits of any of its vCPUs. */
	struct spinlock dev_lock;
	bool end_pending; /* a vCPU other than the boot one ended: vm_end_policy runs at home */
	/* Per physical CPU, 1 + the index of its vCPU that last ran there: vCPUs of one VM
	 * share its VPID (ASID), so another one's guest TLB entries must go (vcpu_tlb_stale). */
	uint8_t last_vcpu_on[KAN_MAX_CPUS];
	struct vuart uart;
	struct iobus io;
	bool has_pic;	 /* kind=linux: the legacy PIC and PIT below answer, and the board */
	bool has_intc;	 /* it has an interrupt controller: the backends ask kernel/vintr.h */
	bool has_lapic;	 /* several vCPUs: each has a local APIC (kernel/vm_apic.c) */
	bool has_ioapic; /* kind=linux with several vCPUs: the board's IOAPIC too */
	struct vioapic ioapic;
	struct vpic pic;
	struct pcboard board;
	struct vm_devices devices; /* virtio disk and NIC (disk=, net=) */
	uint64_t start_tsc;	   /* when it was first scheduled */
	uint64_t msr_refused;	   /* RDMSR/WRMSR answered with #GP */
	uint64_t nmis_dropped;	   /* NMI IPIs for its vCPUs, not injected (kernel/vm_apic.c) */
	uint64_t kan_bytes;	   /* memory kan spends on the VM beyond its RAM (tables, VMCS) */
	bool exited;		   /* it ended itself (KAN_HC_EXIT): exit_status is valid */
	int64_t exit_status;
	unsigned restarts;    /* by on_crash=restart */
	unsigned boots;	      /* vm_reset's count: a vCPU's sleep from before a reset is void */
	bool reset_requested; /* by a device model; the vCPU stops, vm_end_policy acts */
	char reset_reason[48];
	char stop_reason[256];
};

/* Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte lies outside RAM. */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

/* Ends the VM, on the CPU that runs it: by its own request, by kan's policy (a timeout), or
 * because it misbehaved (crashed). Each prints the transition and its reason once. */
void vm_exit(struct vm *vm, int64_t status);
void vm_stop(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_crash(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The guest turned its machine off (a device model saw it): the VM stops, `how` says how. */
void vm_power_off(struct vm *vm, const char *how);
/* The guest reset its machine: its vCPU stops at once (the device's exit handler sees
 * vm_wants_cpu_back), and vm_end_policy boots it afresh, or stops it for on_reset=stop. */
void vm_request_reset(struct vm *vm, const char *how);
/* After a device access: whether the vCPU must leave the guest (the VM ended or reset). */
static inline bool vm_wants_cpu_back(const struct vm *vm)
{
	return vm->state != VM_RUNNING || vm->reset_requested;
}
/* The same for one vCPU: also when it was sent an INIT (it waits for a start-up IPI now). */
static inline bool vcpu_wants_cpu_back(const struct vcpu *vcpu)
{
	return vm_wants_cpu_back(vcpu->vm) ||
	       __atomic_load_n(&vcpu->run_state, __ATOMIC_ACQUIRE) != VCPU_RUNNABLE;
}

/* Moves the VM through its lifecycle and prints the transition; false (said why) if the
 * move is not allowed from its state. Only the CPU that runs the VM calls it. */
bool vm_apply(struct vm *vm, enum vm_transition_cause cause, const char *reason);
/* From any CPU: asks the VM's CPU to apply `cause`. 0, or -1 with a reason in `error`. */
int vm_request(struct vm *vm, enum vm_transition_cause cause, char *error, size_t error_size);
/* On the VM's CPU: carries out a pending request; true if the vCPU should run (again). */
bool vm_handle_pending_now(struct vm *vm);
static inline bool vm_handle_pending(struct vm *vm)
{
	/* The common case, before and after every slice: nothing asked, a plain read. */
	if (__builtin_expect(!vm->end_pending && vm->pending == -1, 1))
		return vm->state == VM_RUNNING;
	return vm_handle_pending_now(vm);
}
/* On the VM's CPU, when its vCPU has stopped: carries out a reset the guest asked for, or
 * restarts it after a crash if its on_crash policy says so. True if it should run again. */
bool vm_end_policy(struct vm *vm);

/* The share of `cpu`, in millionths, that the vCPUs of live VMs other than `except` reserve
 * (budget= period=). */
uint64_t vm_reserved_ppm(unsigned cpu, const struct vm *except);
/* What of its CPU each vCPU of a VM with `config` is owed, in TSC ticks (kernel/share.h). */
void vm_share_policy(const struct vm_config *config, struct share_policy *p);

/* The shell's vm set: "slice=… weight=… cap=… budget=… period=… cpus=…" applied while the VM
 * runs (each vCPU's CPU takes its new share at its next pick), printed once. 0, or -1 with
 * the refusal, naming the key, in `error`. */
int vm_set(struct vm *vm, const char *options, char *error, size_t error_size);

/* Creates a VM for every guest module; a refused module is reported and skipped. */
void vms_create_from_boot(const struct boot_info *boot, const struct kan_config *kan);
/* A new VM from a loaded module and a config line (the shell's vm create). */
struct vm *vm_create(const struct boot_module *module, const char *cmdline, char *error,
		     size_t error_size);
/* By id ("3") or name; NULL if there is none (destroyed VMs are found too). */
struct vm *vm_find(const char *id_or_name);
unsigned vm_count(void);
struct vm *vm_by_index(unsigned i);
/* The boot vCPU, whose CPU (the home CPU) does the whole-VM work. */
static inline struct vcpu *vm_boot_vcpu(struct vm *vm)
{
	return &vm->vcpus[0];
}
/* Before `vcpu` enters the guest on `cpu`: true if another vCPU of its VM ran there since it
 * last did, so that the backend must drop the VM's guest TLB entries on this CPU. */
static inline bool vcpu_tlb_stale(struct vcpu *vcpu, unsigned cpu)
{
	struct vm *vm = vcpu->vm;
	if (vm->vcpu_count == 1 || vm->last_vcpu_on[cpu] == vcpu->index + 1)
		return false;
	vm->last_vcpu_on[cpu] = (uint8_t)(vcpu->index + 1);
	return true;
}
/* Whether the vCPU may be entered now: its VM runs and nothing stops the vCPU. */
static inline bool vm_vcpu_may_run(const struct vcpu *vcpu)
{
	const struct vm *vm = vcpu->vm;
	return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING &&
	       !vm->reset_requested && !vm->end_pending && vcpu->run_state == VCPU_RUNNABLE;
}
/* Asks the CPUs of the VM's vCPUs to look at them now (a state change, a new interrupt). */
void vm_kick_vcpus(struct vm *vm);

/* Its CPU time so far, in TSC ticks, including a slice in progress. */
uint64_t vcpu_cpu_time(const struct vcpu *vcpu);
/* Its VM exits of every reason (the exit path counts only per reason). */
uint64_t vcpu_exits_total(const struct vcpu *vcpu);
/* The share of a CPU its vCPUs used lately (per mille; a VM with several vCPUs can use more
 * than one CPU), for the shell: over the last RECENT_WINDOW_US. */
#define RECENT_WINDOW_US 2000000
uint32_t vm_recent_permille(const struct vm *vm);
/* The sums over the VM's vCPUs. */
uint64_t vm_cpu_time(const struct vm *vm);
uint64_t vm_exits_total(const struct vm *vm);

/* Several vCPUs (vcpus=). An INIT for `vcpu` (from a local APIC): an application processor
 * leaves the guest and waits for a start-up IPI; the boot vCPU's resets the VM. */
void vcpu_deliver_init(struct vcpu *vcpu);
/* A start-up IPI: a vCPU waiting for one starts at vector << 12 (its CPU resets it there,
 * vcpu_start_on_its_cpu); any other ignores it. */
void vcpu_deliver_sipi(struct vcpu *vcpu, uint8_t vector);
void vcpu_start_on_its_cpu(struct vcpu *vcpu);
/* HLT with interrupts off. On vCPU 0 (or the only one) that is a crash: nothing can wake it.
 * An application processor is how an OS stops a CPU (at power-off, on a panic): it waits
 * as before its start-up IPI, for INIT; true then, and the vCPU leaves the guest. */
bool vcpu_halt_for_good(struct vcpu *vcpu);
/* On the CPU of a vCPU other than the boot one, which ended: the home CPU follows up. */
void vm_post_end(struct vm *vm);
/* VMs running or paused: what keeps kan from ending the run. */
unsigned vm_live_count(void);

#endif
