; Where each application processor starts: the start-up IPI sends it to 0x8000 in real mode.
; kan copies this code there and fills in the data words at the end; the AP goes through
; protected mode into long mode on kan's page tables and calls ap_entry(cpu_index) on its
; own stack. Addresses are computed for the copy: T(label) is where the label lands.

AP_TRAMPOLINE_BASE equ 0x8000
%define T(label) ((label) - ap_trampoline_start + AP_TRAMPOLINE_BASE)

global ap_trampoline_start
global ap_trampoline_end
global ap_trampoline_cr3
global ap_trampoline_stack
global ap_trampoline_entry
global ap_trampoline_cpu
global ap_trampoline_nx
global ap_trampoline_xd_cleared
global ap_trampoline_apic_id

NX_AP_SET_NXE    equ 1                ; arch/x86_64/nx.h
NX_AP_CLEAR_XD   equ 2
NX_AP_PRETEND_XD equ 4
AP_CLAIMED       equ 0xfffffffe     ; arch/x86_64/smp.c

section .rodata
align 16
bits 16
ap_trampoline_start:
	cli
	cld
	xor ax, ax
	mov ds, ax
	o32 lgdt [T(ap_gdt_pointer)]
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29)) ; caches on: an AP starts with CD and NW set
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword 0x08:T(ap_protected_mode)

bits 32
ap_protected_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	; Only the CPU kan is starting now may go on, and only once it claimed the start (below).
	; One that missed its window can still run this code later: kan's INIT can reach it after
	; the start-up IPI (QEMU's TCG, a busy host). By then the data words may belong to the
	; next CPU, stack and index included, and kan may have unmapped this page: so the check
	; comes before paging.
	mov eax, 1
	cpuid
	shr ebx, 24                     ; the initial APIC id, 8 bits
	mov esi, ebx
	xor eax, eax
	cpuid
	cmp eax, 0xb
	jb .check_id
	mov eax, 0xb
	xor ecx, ecx
	cpuid                           ; EDX: the x2APIC id, all 32 bits
	test ebx, ebx                   ; all zeros: leaf 0xB is not implemented
	jz .check_id
	mov esi, edx
.check_id:
	cmp esi, [T(ap_trampoline_apic_id)]
	jne .halt
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	; NX (arch/x86_64/nx.h): firmware may have set XD Bit Disable (IA32_MISC_ENABLE bit 34,
	; EDX bit 2 here); with it set, EFER.NXE faults, and kan's tables need NX if the boot
	; CPU's have it. Clear it; if NX is still missing, this CPU cannot run kan: halt.
	test byte [T(ap_trampoline_nx)], NX_AP_CLEAR_XD
	jz .efer
	mov ecx, 0x1a0                  ; IA32_MISC_ENABLE
	rdmsr
	test byte [T(ap_trampoline_nx)], NX_AP_PRETEND_XD
	jnz .clear_xd
	bt edx, 2
	jnc .efer
.clear_xd:
	btr edx, 2
	wrmsr
	mov byte [T(ap_trampoline_xd_cleared)], 1
	mov eax, 0x80000001
	cpuid
	bt edx, 20                      ; NX
	jnc .halt
.efer:
	; The claim: the offer (this CPU's APIC id) becomes AP_CLAIMED, atomically. kan revokes an
	; offer that timed out the same way (arch/x86_64/smp.c), so exactly one of the two wins;
	; a CPU that loses halts before it touches a data word.
	mov eax, esi
	mov edx, AP_CLAIMED
	lock cmpxchg [T(ap_trampoline_apic_id)], edx
	jne .halt
	mov eax, [T(ap_trampoline_cr3)]
	mov cr3, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	test byte [T(ap_trampoline_nx)], NX_AP_SET_NXE
	jz .no_nxe
	or eax, 1 << 11                 ; NXE: kan's page tables use NX
.no_nxe:
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)   ; PG, WP
	mov cr0, eax
	jmp 0x18:T(ap_long_mode)
.halt:
	cli
	hlt
	jmp .halt

bits 64
ap_long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [T(ap_trampoline_stack)]
	xor ebp, ebp
	mov edi, [T(ap_trampoline_cpu)]
	mov rax, [T(ap_trampoline_entry)]
	call rax
.hang:
	cli
	hlt
	jmp .hang

align 8
ap_gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
	dq 0x00af9a000000ffff           ; 0x18: 64-bit code
ap_gdt_pointer:
	dw ap_gdt_pointer - ap_gdt - 1
	dd T(ap_gdt)
align 8
ap_trampoline_cr3:   dq 0
ap_trampoline_stack: dq 0
ap_trampoline_entry: dq 0
ap_trampoline_cpu:   dd 0
ap_trampoline_nx:    dd 0               ; NX_AP_* flags
ap_trampoline_xd_cleared: dd 0          ; set by an AP that cleared XD Bit Disable
ap_trampoline_apic_id: dd 0             ; the offer: the APIC id of the CPU being started
ap_trampoline_end:
