/* A VM's policy, read from its module's command line in grub.cfg (keys documented in README). */
#ifndef KAN_KERNEL_VM_CONFIG_H
#define KAN_KERNEL_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/lapic_mode.h"

#include "kernel/cpuset.h"
#include "kernel/limits.h"

#define VM_MEM_MIN		 (1ull << 20)
#define VM_MEM_DEFAULT		 (16ull << 20)
#define VM_SLICE_DEFAULT_US	 10000u
#define VM_SLICE_MAX_US		 10000000u	/* 10 s */
#define VM_TIMEOUT_MAX_US	 86400000000ull /* a day */
#define VM_RESTART_LIMIT_DEFAULT 3
#define VM_WEIGHT_DEFAULT	 100
#define VM_WEIGHT_MAX		 10000
#define VM_PERIOD_MIN_US	 1000
#define VM_PERIOD_MAX_US	 1000000
#define VM_BUDGET_MIN_US	 100

/* What a module is: a guest in kan's ELF format, a Linux kernel (bzImage), an initrd, a raw
 * disk image (a VM's virtio disk, by disk=), a Multiboot 1 or 2 kernel, data a Multiboot kernel
 * gets as a boot module (by module=), or a PVH kernel. */
enum vm_kind {
	VM_KIND_ELF,
	VM_KIND_LINUX,
	VM_KIND_INITRD,
	VM_KIND_DISK,
	VM_KIND_MULTIBOOT,
	VM_KIND_DATA,
	VM_KIND_MULTIBOOT2,
	VM_KIND_PVH, /* a PVH ELF kernel (Linux's vmlinux) on kind=linux's board */
};

#define VM_MODULES_MAX 8 /* module= keys on one line */

#define VM_MAC_LEN 6

struct vm_config {
	enum vm_kind kind; /* kind= : elf (default), linux, initrd, disk, multiboot, data,
			      multiboot2, pvh */
	char initrd[KAN_VM_NAME_MAX]; /* initrd= : the name of a kind=initrd module */
	char name[KAN_VM_NAME_MAX];
	uint64_t mem;		/* bytes of guest RAM, from guest-physical 0 */
	struct cpuset cpus;	/* physical CPUs its vCPUs may run on */
	unsigned vcpus;		/* vcpus= : how many (1 .. KAN_VM_VCPUS_MAX) */
	uint32_t slice_us;	/* time slice before the vCPU is preempted */
	uint32_t weight;	/* weight= : share of its CPU relative to the others' (100) */
	uint32_t cap_pct;	/* cap= : at most this % of its CPU; 0: no cap */
	uint64_t budget_us;	/* budget= with period= : time reserved in every period */
	uint64_t period_us;	/* 0: no reservation */
	uint64_t timeout_us;	/* stop the VM this long after it started; 0: never */
	bool restart_on_crash;	/* on_crash=restart (default: stop) */
	unsigned restart_limit; /* restarts= : how many times on_crash=restart may act */
	bool autostart;		/* autostart=no: created, waits for "vm start" */
	bool stop_on_reset; /* on_reset=stop: a reset by the guest stops it (default: restart) */
	char disk[KAN_VM_NAME_MAX]; /* disk= : a kind=disk module, its virtio disk; "" none */
	bool disk_read_only;	    /* disk=NAME:ro */
	char net[KAN_VM_NAME_MAX];  /* net= : the virtual switch its virtio NIC is on; "" none */
	uint8_t mac[VM_MAC_LEN];    /* mac= ; all zero: derived from the name (vm_config_mac) */
	/* module= (repeatable, in order): kind=data modules a kind=multiboot(2) kernel gets */
	char modules[VM_MODULES_MAX][KAN_VM_NAME_MAX];
	unsigned module_count;
	bool exit_port; /* exitport=yes: a write to port 0xf4 ends the VM with that status */
};

/* What the parser checks values against. */
struct vm_config_limits {
	struct cpuset cpus_present; /* the physical CPUs kan runs VMs on */
	uint32_t default_slice_us;
	const char *default_name; /* used when the line has no name= */
};

/*
 * Parses "name=hello mem=16M cpus=0-1 slice=10ms timeout=5s on_crash=restart restarts=3
 * autostart=yes -- guest arguments". A leading
 * token without '=' is the image path GRUB may pass and is ignored; everything after "--"
 * belongs to the guest. Returns 0, or -1 with a message in `error` that names the key and
 * the value.
 */
int vm_config_parse(const char *line, const struct vm_config_limits *limits, struct vm_config *out,
		    char *error, size_t error_size);

/*
 * `vm set`: applies "slice=… weight=… cap=… budget=… period=… cpus=…" (only these keys) to
 * a copy of a running VM's config. 0, or -1 with a message naming the key and value; `out`
 * is written only on success.
 */
int vm_config_set(const char *line, const struct vm_config_limits *limits,
		  const struct vm_config *current, struct vm_config *out, char *error,
		  size_t error_size);

/* The VM's MAC address: mac= if given, else one derived from its name (stable across boots):
 * locally administered, unicast, 52:54:00 followed by three bytes of a hash of the name. */
void vm_config_mac(const struct vm_config *config, uint8_t mac[VM_MAC_LEN]);

/* What follows " -- " on a module's line (the guest's own arguments), or "". */
const char *vm_config_guest_args(const char *line);

/* kan's own command line: "slice=5ms". Same error rules. */
/* Deliberate faults in kan itself, to prove its crash report and its self-protection. */
enum kan_selftest {
	SELFTEST_NONE,
	SELFTEST_PAGEFAULT,	     /* read above 4 GiB, where nothing is mapped */
	SELFTEST_WRITE_TEXT,	     /* write into kan's own code */
	SELFTEST_EXEC_DATA,	     /* jump into kan's data */
	SELFTEST_STACK_OVERFLOW,     /* recurse into the guard page */
	SELFTEST_SMEP,		     /* run code on a user-accessible page */
	SELFTEST_SMAP,		     /* read a user-accessible page with RFLAGS.AC clear */
	SELFTEST_AP_STACK_OVERFLOW,  /* cpu 1 recurses into its stack's guard page */
	SELFTEST_NMI,		     /* cpu 0 sends NMIs to the other CPUs while they run VMs */
	SELFTEST_IST_STACK_OVERFLOW, /* cpu 1's NMI handler recurses into its IST stack's guard */
	SELFTEST_ENTRY_FAILURE,	     /* the first VM's first VM entry fails (an invalid RFLAGS) */
	SELFTEST_STRAY_IRQ, /* interrupts nobody handles: a stray vector, the 8259's IRQ 0 and 7 */
	SELFTEST_XD_DISABLED, /* every CPU acts as if firmware had set XD Bit Disable: kan clears it
			       */
	SELFTEST_XD_LOCKED,   /* ... and as if the CPU refused to clear it: kan runs without NX */
	SELFTEST_HOST_NMI,    /* NMIs to a CPU in a guest, and to itself in kan: kan's, counted */
	SELFTEST_MACHINE_CHECK,	      /* cpu 1 raises #MC (INT 18) in kan: reported as the host's */
	SELFTEST_NO_PREEMPTION_TIMER, /* as on a CPU with the erratum: LAPIC-timer slices */
};
/* What kan does to the machine at its end (on_end=). */
enum kan_on_end { KAN_END_POWEROFF, KAN_END_REBOOT, KAN_END_HALT };
struct kan_config {
	uint32_t default_slice_us;
	enum kan_on_end on_end;	    /* on_end=poweroff|reboot|halt (default poweroff) */
	bool emulator_exit;	    /* emulator_exit=no: end Bochs/QEMU as a real machine */
	bool check;		    /* check: report what this machine offers kan, run nothing */
	enum kan_selftest selftest; /* selftest=NAME: fault on purpose once booted */
	bool wait_when_empty;	    /* on_empty=wait: keep serving the shell when no VM runs */
	enum lapic_x2apic_option x2apic; /* x2apic=on|off|auto (default auto) */
	char trace[64]; /* trace=runs|exits|exits=NAME,..: the shell's trace on, from boot */
	bool balance;	/* balance=on: vCPUs move between their allowed CPUs to even load */
};
int kan_config_parse(const char *line, struct kan_config *out, char *error, size_t error_size);

/* Value parsers, exposed for the unit tests. Return 0 on success. */
int parse_size(const char *s, uint64_t *out);
int parse_duration_us(const char *s, uint64_t max_us, uint64_t *out);
int parse_cpu_list(const char *s, struct cpuset *cpus);

#endif
