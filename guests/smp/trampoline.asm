; An AP's way from INIT-SIPI-SIPI to C. The BSP copies smp_trampoline..smp_trampoline_end to
; SMP_TRAMPOLINE_ADDR (smp.h) and sends SIPI vector 0x09: the AP starts in real mode at
; CS = 0x0900, IP = 0, with CR0 as after INIT (caches off, paging off). It goes through
; 32-bit protected mode (its own small GDT) to long mode on the BSP's page tables and CR4,
; loads the BSP's GDT and calls params.entry(params.cpu) on params.stack_top.

TRAMPOLINE_ADDR equ 0x9000             ; SMP_TRAMPOLINE_ADDR
PARAMS          equ 0x9f00             ; SMP_AP_PARAMS_ADDR, struct smp_ap_params
P_CR3           equ PARAMS + 0
P_CR4           equ PARAMS + 8
P_EFER          equ PARAMS + 16
P_STACK         equ PARAMS + 24
P_CPU           equ PARAMS + 32
P_ENTRY         equ PARAMS + 40
P_GDTR          equ PARAMS + 48
MSR_EFER        equ 0xc0000080
CR0_LONG        equ 0x80010033         ; PG, WP, NE, ET, MP, PE: the BSP's (kan_guest.h)
CODE64          equ 0x08               ; the same selectors as kan's GDT at 0x2000
DATA            equ 0x10
CODE32          equ 0x18

; Where a label of the blob is once copied.
%define AT(label) (TRAMPOLINE_ADDR + (label) - smp_trampoline)

global smp_trampoline
global smp_trampoline_end

section .text
bits 16
smp_trampoline:
	cli
	xor ax, ax
	mov ds, ax
	lgdt [AT(tramp_gdtr)]
	mov eax, 0x00000011             ; PE, ET; CD and NW (set by INIT) cleared
	mov cr0, eax
	jmp dword CODE32:AT(tramp_32)

bits 32
tramp_32:
	mov ax, DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov eax, [P_CR4]                ; includes PAE
	mov cr4, eax
	mov eax, [P_CR3]
	mov cr3, eax
	mov ecx, MSR_EFER
	mov eax, [P_EFER]               ; LME (and NXE where the BSP has it)
	xor edx, edx
	wrmsr
	mov eax, CR0_LONG
	mov cr0, eax
	jmp CODE64:AT(tramp_64)

bits 64
tramp_64:
	lgdt [P_GDTR]
	mov ax, DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [P_STACK]
	xor ebp, ebp
	mov rdi, [P_CPU]
	mov rax, [P_ENTRY]
	call rax
.hang:                                  ; smp_ap_main does not return
	cli
	hlt
	jmp .hang

align 8
tramp_gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data, 4 GiB
	dq 0x00cf9a000000ffff           ; 0x18: 32-bit code, 4 GiB
tramp_gdtr:
	dw 4 * 8 - 1
	dd AT(tramp_gdt)
smp_trampoline_end:
