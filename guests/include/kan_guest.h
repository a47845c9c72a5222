/*
 * kan's guest ABI, version 1: everything a guest may rely on, and nothing else.
 * This header is the public contract between kan and the guests it runs; a guest written by
 * someone else is loaded and run by following this file alone. It is shared, unchanged, by
 * kan (kernel/hypercall.c, kernel/guest_boot.c) and by kan's own test guests.
 *
 * IMAGE FORMAT
 *   A guest is an ELF executable given to GRUB as a multiboot2 module:
 *     module2 /boot/hello.elf name=hello mem=16M
 *   Its PT_LOAD segments are copied to their physical addresses (p_paddr) in the guest's
 *   RAM; the bytes between p_filesz and p_memsz are zero, as is all other RAM.
 *   - ELFCLASS64, EM_X86_64: a 64-bit guest. Segments must lie in [1 MiB, RAM size).
 *   - ELFCLASS32, EM_386: a 16-bit real-mode guest. Segments must lie in
 *     [KAN_REAL_MODE_LOAD_MIN, KAN_REAL_MODE_LOAD_END) and the entry point below 64 KiB.
 *
 * MEMORY (guest-physical addresses; the VM sees nothing else)
 *   [0, mem)            RAM, mem from the config line (default 16 MiB). Every other
 *                       address is absent: touching it stops the VM (kan's console says
 *                       why: "EPT violation" under VT-x).
 *   0x1000              struct kan_start_info (read-only by convention; guest may reuse)
 *   0x2000              64-bit guests: GDT (null, code 0x08, data 0x10, TSS 0x18)
 *   0x3000              64-bit guests: PML4; 0x4000 PDPT; 0x5000-0x8fff four page
 *                       directories identity-mapping 0-4 GiB with 2 MiB pages (RWX, WB)
 *   0x9000 - 1 MiB      free for the guest
 *
 * ENTRY STATE, 64-bit guest
 *   Long mode, paging on (CR3 = 0x3000), CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE,
 *   EFER = LME|LMA|NXE. CS = 0x08 (64-bit code), DS = ES = SS = FS = GS = 0x10,
 *   TR = 0x18, IDTR limit 0 (the guest installs its own IDT before enabling
 *   interrupts or taking exceptions; an exception without an IDT is a triple fault),
 *   RFLAGS = 0x2 (interrupts off), RIP = ELF entry, RSP = mem (top of RAM),
 *   RDI = KAN_START_INFO_ADDR, all other general registers 0.
 *
 * ENTRY STATE, both kinds: x87, SSE and AVX state as after RESET and FNINIT (FCW 0x37f,
 *   MXCSR 0x1f80, every register 0), XCR0 = 1, CR2 = 0, DR0-3 = 0, DR6 = 0xffff0ff0, DR7 = 0x400.
 *   SSE needs CR4.OSFXSR (and OSXMMEXCPT) set by the guest; AVX and AVX-512 need CR4.OSXSAVE
 *   and XSETBV(0, mask) with a mask from CPUID.(0xD,0):EAX, where CPUID.1:ECX.XSAVE says kan
 *   offers them. All of this state is the VM's own: kan saves it when another VM runs on the
 *   CPU and restores it before the guest runs again.
 *
 * ENTRY STATE, real-mode guest
 *   CR0.PE = 0, CS = DS = ES = FS = GS = SS = 0 (bases 0, limits 0xffff), IP = ELF entry,
 *   SP = KAN_REAL_MODE_STACK, FLAGS = 0x2. There is no BIOS: the IVT at 0 is zeros.
 *   EDI = KAN_START_INFO_ADDR.
 *
 * SEVERAL vCPUs (vcpus=N on the module's line, N from 2 to 16)
 *   vCPU 0 starts as above; struct kan_start_info.vcpus says N. vCPUs 1..N-1 wait for
 *   INIT and a start-up IPI, as application processors do: a SIPI with vector VV starts one
 *   in real mode at CS = VV << 8 (base VV << 12), IP = 0, FLAGS = 0x2, every other register
 *   as after INIT (CR0.PE = 0, no IDT beyond the real-mode one at 0, x87/SSE reset). A SIPI to
 *   a vCPU that is not waiting is ignored; an INIT sends an application processor back to
 *   waiting; an INIT to vCPU 0 resets the whole VM.
 *   Each vCPU has a local APIC (Intel SDM Vol. 3A ch. 11): local APIC ID = its index (also
 *   CPUID.1:EBX[31:24]); xAPIC mode at KAN_LAPIC_BASE after reset (IA32_APIC_BASE 0xfee00900
 *   on vCPU 0, 0xfee00800 on the others; software-disabled until SVR bit 8 is set), accessed
 *   with aligned 32-bit MOVs; x2APIC mode (CPUID.1:ECX[21]) through IA32_APIC_BASE bit 10,
 *   with the MSRs 0x800-0x8ff; the base cannot be moved (#GP). Version 0x50014. The ICR
 *   sends fixed, lowest-priority, INIT and start-up IPIs with physical or logical
 *   destinations and the shorthands; an NMI IPI is not delivered (kan says so once). The LAPIC
 * timer counts at the TSC's rate divided by the divide configuration register: initial count N with
 * divide D fires N * D TSC ticks later; one-shot, periodic (no drift; at most one interrupt per 100
 * us) and TSC-deadline (CPUID.1:ECX[24], MSR 0x6e0) modes. kan_guest.h says no more about the APIC
 * than the SDM: unaligned or partial accesses read 0 and are ignored. The vCPUs share the VM's RAM,
 * its UART (serialize lines yourself) and its devices; KAN_HC_EXIT from any vCPU ends the whole VM,
 * as does a crash of any vCPU.
 *
 * CONSOLE
 *   A 16550-compatible UART at I/O port 0x3f8 (COM1). Bytes written to THR (0x3f8) go to
 *   kan's console, one line at a time, prefixed with "[name] ". Like a real serial line it
 *   has a speed: each VM may send 4 KiB/s in bursts of 2 KiB. LSR (0x3fd) reports the
 *   transmitter empty (0x60) while the VM may send, busy (0x00) when it must wait; a byte
 *   written while busy is lost. LSR bit 0 says a byte typed at kan's "console" command is
 *   waiting in RBR. The other registers read back what was written. Or use
 *   KAN_HC_CONSOLE_WRITE, which takes what the budget allows and returns how much.
 *   Lines longer than 200 bytes are split.
 *
 * DEVICES (virtio 1.x over virtio-mmio, register layout version 2)
 *   disk= and net= on a VM's line give it a virtio block device and a virtio network device.
 *   Device n (the disk first if there is one, then the NIC) has its 4 KiB register window at
 *   guest-physical KAN_VIRTIO_MMIO_BASE + n * 0x1000; nothing else lives there. A kind=linux/pvh
 *   VM finds them in its ACPI DSDT (_HID "LNRO0005"), on ISA IRQ 10 + n of its 8259 PIC,
 *   edge-triggered. A kind=elf guest has no interrupt controller: it polls InterruptStatus
 *   (0x060) or its used rings. Access the registers with plain MOV instructions of 1, 2, 4
 *   or 8 bytes (kan decodes MOV, also to or from an absolute address, MOVZX and MOV from an
 *   immediate; anything else there, like a string or SSE instruction, stops the VM); registers
 * below 0x100 take aligned 32-bit accesses only. Queues hold up to 256 entries; devices offer
 * VERSION_1 and INDIRECT_DESC. A driver that breaks the virtio rules (rings outside its RAM,
 * descriptor loops, lengths that wrap) gets DEVICE_NEEDS_RESET (status bit 0x40) and a
 * configuration interrupt; the device ignores its queues until the driver writes 0 to Status.
 *
 * HYPERCALLS
 *   The number in RAX and arguments in RDI, RSI, RDX, R10 (real mode: the same registers'
 *   low halves), then the hypercall instruction of the CPU's vendor:
 *     VMMCALL (0f 01 d9)  AMD ("AuthenticAMD") and Hygon ("HygonGenuine"): kan uses AMD-V
 *     VMCALL  (0f 01 c1)  Intel and every other vendor: kan uses VT-x
 *   kan answers VMCALL on Intel and VMMCALL on AMD: each is that hardware's own hypercall
 *   exit, the short path. The other vendor's instruction raises #UD there; kan answers it
 *   where it can (under VT-x it reads the instruction of a #UD and answers VMMCALL), on a
 *   longer path, so a guest uses its vendor's. A guest learns its vendor from the string in
 *   CPUID leaf 0 (EBX, EDX, ECX), which kan passes through unchanged: kan's guest library
 *   (guests/lib/guest.h) asks once at start-up and keeps the answer, and
 *   guests/include/kan_hypercall.inc does the same for assembly guests.
 *   The result is in RAX; a negative value is a KAN_E* error. Other registers are preserved.
 *   Pointers are guest-physical addresses.
 *
 * ENDING
 *   KAN_HC_EXIT(status) ends the VM; kan prints "vm NAME ended: exit status N".
 *   With exitport=yes on the VM's line, a write of 1, 2 or 4 bytes to I/O port KAN_EXIT_PORT
 *   (0xf4, where QEMU's isa-debug-exit device usually sits) ends the VM the same way, with the
 *   value written as N (not QEMU's (N << 1) | 1). Without it the port is absent. A triple
 *   fault, an access outside RAM or an instruction kan does not virtualize stops the VM
 *   with a reason on kan's console; other VMs keep running.
 */
#ifndef KAN_GUEST_H
#define KAN_GUEST_H

#define KAN_ABI_VERSION 1

#define KAN_EXIT_PORT 0xf4 /* exitport=yes: a write ends the VM (ENDING) */

#define KAN_START_INFO_ADDR    0x1000
#define KAN_GUEST_GDT_ADDR     0x2000
#define KAN_GUEST_PML4_ADDR    0x3000
#define KAN_GUEST_PDPT_ADDR    0x4000
#define KAN_GUEST_PD_ADDR      0x5000 /* four pages */
#define KAN_GUEST_FREE_ADDR    0x9000
#define KAN_GUEST_IMAGE_MIN    0x100000 /* lowest p_paddr of a 64-bit guest */
#define KAN_REAL_MODE_LOAD_MIN 0x2000
#define KAN_REAL_MODE_LOAD_END 0xf000
#define KAN_REAL_MODE_STACK    0xfff0

#define KAN_UART_PORT	     0x3f8
#define KAN_LAPIC_BASE	     0xfee00000u /* a VM with vcpus= above 1: each vCPU's local APIC */
#define KAN_VIRTIO_MMIO_BASE 0xfe000000u /* device n's registers at + n * 0x1000 */

/* Hypercall numbers (RAX). */
#define KAN_HC_VERSION	     0 /* () -> KAN_ABI_VERSION */
#define KAN_HC_EXIT	     1 /* (status) -> does not return */
#define KAN_HC_CONSOLE_WRITE 2 /* (gpa, length) -> bytes taken (may be fewer, or 0: retry) */
#define KAN_HC_YIELD	     3 /* () -> 0; gives the rest of the time slice away */
#define KAN_HC_TIME_NS	     4 /* () -> nanoseconds since kan started */
#define KAN_HC_VM_INFO	     5 /* (gpa of struct kan_vm_info) -> 0 */
#define KAN_HC_REPORT                                                                              \
	6 /* () -> 0 or KAN_EBUSY; kan prints its VM table; costs 2 KiB of                         \
	   * the VM's console budget */

/* Errors (negative RAX). */
#define KAN_ENOSYS -1 /* no such hypercall */
#define KAN_EFAULT -2 /* a pointer or length outside the VM's RAM */
#define KAN_EINVAL -3 /* an argument out of range */
#define KAN_EBUSY  -4 /* not now: the VM's console budget is spent; try again later */

#define KAN_START_MAGIC 0x314e414bu /* "KAN1" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* At KAN_START_INFO_ADDR when the guest starts. */
struct kan_start_info {
	uint32_t magic;	      /* KAN_START_MAGIC */
	uint32_t abi_version; /* KAN_ABI_VERSION */
	uint32_t vm_id;	      /* kan's number for this VM, from 1 */
	uint32_t vcpus;	      /* its vCPUs (vcpus=; 0 from a kan before SMP VMs means 1) */
	uint64_t ram_size;    /* bytes of RAM at guest-physical 0 */
	char name[24];	      /* the VM's name, zero-terminated */
	char cmdline[256];    /* the module's command line from grub.cfg, zero-terminated */
};

/* Filled in by KAN_HC_VM_INFO. */
struct kan_vm_info {
	uint32_t vm_id;
	uint32_t cpu; /* the physical CPU the caller is running on */
	uint64_t ram_size;
	char name[24];
};
#endif

#endif
