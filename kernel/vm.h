/* Partitions: a VM (one guest, its RAM, its devices, its policy) and its virtual CPU. */
#ifndef KAN_KERNEL_VM_H
#define KAN_KERNEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/devices/iobus.h"
#include "kernel/limits.h"
#include "kernel/multiboot2.h"
#include "kernel/devices/pcboard.h"
#include "kernel/vm_config.h"
#include "kernel/vm_devices.h"
#include "kernel/vm_lifecycle.h"
#include "kernel/devices/vpic.h"
#include "kernel/devices/vuart.h"

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

struct vcpu {
	struct guest_regs regs; /* first: the entry stub finds it at offset 0 */
	struct vm *vm;
	void *backend; /* the backend's per-vCPU state (for VT-x: the VMCS and friends) */
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
	uint64_t running_since; /* TSC when its current slice began; 0 when it is not running */
	uint64_t exits[VCPU_EXIT_REASONS];
};

struct vm {
	unsigned id;	     /* from 1 */
	enum vm_state state; /* changed only through vm_apply, on the CPU that runs the VM */
	int pending;	     /* a lifecycle cause posted for that CPU (vm_request), or -1 */
	struct vm_config config;
	const struct boot_module *module; /* the image it boots from */
	const struct boot_module *initrd; /* kind=linux: its initrd= module, or NULL */
	char cmdline[BOOT_CMDLINE_MAX];	  /* its config line, as given */
	uint64_t ram_base;		  /* host-physical start of the VM's contiguous RAM */
	void *backend;			  /* the backend's per-VM state (for VT-x: the EPT) */
	struct vcpu vcpu;
	struct vuart uart;
	struct iobus io;
	bool has_pic; /* kind=linux: the legacy PIC and PIT below answer, and the board */
	struct vpic pic;
	struct pcboard board;
	struct vm_devices devices; /* virtio disk and NIC (disk=, net=) */
	uint64_t start_tsc;	   /* when it was first scheduled */
	uint64_t msr_refused;	   /* RDMSR/WRMSR answered with #GP */
	uint64_t kan_bytes;	   /* memory kan spends on the VM beyond its RAM (tables, VMCS) */
	bool exited;		   /* it ended itself (KAN_HC_EXIT): exit_status is valid */
	int64_t exit_status;
	unsigned restarts;    /* by on_crash=restart */
	bool reset_requested; /* by a device model; the vCPU stops, vm_end_policy acts */
	char reset_reason[48];
	char stop_reason[160];
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

/* Moves the VM through its lifecycle and prints the transition; false (said why) if the
 * move is not allowed from its state. Only the CPU that runs the VM calls it. */
bool vm_apply(struct vm *vm, enum vm_transition_cause cause, const char *reason);
/* From any CPU: asks the VM's CPU to apply `cause`. 0, or -1 with a reason in `error`. */
int vm_request(struct vm *vm, enum vm_transition_cause cause, char *error, size_t error_size);
/* On the VM's CPU: carries out a pending request; true if the vCPU should run (again). */
bool vm_handle_pending(struct vm *vm);
/* On the VM's CPU, when its vCPU has stopped: carries out a reset the guest asked for, or
 * restarts it after a crash if its on_crash policy says so. True if it should run again. */
bool vm_end_policy(struct vm *vm);

/* Creates a VM for every guest module; a refused module is reported and skipped. */
void vms_create_from_boot(const struct boot_info *boot, const struct kan_config *kan);
/* A new VM from a loaded module and a config line (the shell's vm create). */
struct vm *vm_create(const struct boot_module *module, const char *cmdline, char *error,
		     size_t error_size);
/* By id ("3") or name; NULL if there is none (destroyed VMs are found too). */
struct vm *vm_find(const char *id_or_name);
unsigned vm_count(void);
struct vm *vm_by_index(unsigned i);
/* Its CPU time so far, in TSC ticks, including a slice in progress. */
uint64_t vcpu_cpu_time(const struct vcpu *vcpu);
/* Its VM exits of every reason (the exit path counts only per reason). */
uint64_t vcpu_exits_total(const struct vcpu *vcpu);
/* VMs running or paused: what keeps kan from ending the run. */
unsigned vm_live_count(void);

#endif
