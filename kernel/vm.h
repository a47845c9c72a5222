/* Partitions: a VM (one guest, its RAM, its devices, its policy) and its virtual CPU. */
#ifndef KAN_KERNEL_VM_H
#define KAN_KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/iobus.h"
#include "kernel/limits.h"
#include "kernel/multiboot2.h"
#include "kernel/vm_config.h"
#include "kernel/vuart.h"

enum vm_state { VM_CREATED, VM_RUNNING, VM_EXITED, VM_STOPPED, VM_FAILED };

#define VCPU_EXIT_REASONS 80 /* counters per basic exit reason of the backend */

/*
 * The guest's general registers, in the x86 encoding order so that a register number from an
 * instruction indexes gpr[]. RSP and RIP live in the backend's state (the slot for RSP is
 * unused). The layout is shared with the backend's entry stub.
 */
enum guest_gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
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
	void *backend;  /* the backend's per-vCPU state (for VT-x: the VMCS and friends) */
	unsigned cpu;   /* the physical CPU this vCPU runs on */
	struct vcpu *next_in_queue;
	uint64_t wake_tsc; /* after HLT: not run again before this TSC value */
	uint64_t cpu_time; /* TSC ticks spent in the guest and its exits */
	uint64_t exits_total;
	uint64_t exits[VCPU_EXIT_REASONS];
};

struct vm {
	unsigned id; /* from 1 */
	enum vm_state state;
	struct vm_config config;
	const char *cmdline; /* the module's full command line */
	uint64_t ram_base;   /* host-physical start of the VM's contiguous RAM */
	void *backend;       /* the backend's per-VM state (for VT-x: the EPT) */
	struct vcpu vcpu;
	struct vuart uart;
	struct iobus io;
	uint64_t start_tsc;  /* when it was first scheduled */
	uint64_t msr_refused; /* RDMSR/WRMSR answered with #GP */
	uint64_t kan_bytes;   /* memory kan spends on the VM beyond its RAM (tables, VMCS) */
	int64_t exit_status; /* valid in VM_EXITED */
	char stop_reason[160];
};

const char *vm_state_name(enum vm_state state);

/* Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte lies outside RAM. */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

/* Ends the VM: by its own request (exited) or because kan stopped it (reason printed). */
void vm_exit(struct vm *vm, int64_t status);
void vm_stop(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Creates a VM for every guest module; a refused module is reported and skipped. */
void vms_create_from_boot(const struct boot_info *boot, const struct kan_config *kan);
unsigned vm_count(void);
struct vm *vm_by_index(unsigned i);

#endif
