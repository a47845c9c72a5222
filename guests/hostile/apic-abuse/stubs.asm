; apic-abuse's low-level parts: the start-up code of its application processor (copied below
; 1 MiB, where a start-up IPI can reach it), the landing pad it puts where wild start-up
; vectors send the AP, and the entry of interrupt vectors 32-255.

TRAMPOLINE_ADDR equ 0x10000             ; apic.h: SIPI vector 0x10
LANDING_CS      equ 0x9000              ; apic.h: where the landing pad leaves its marks
LANDING_COUNT   equ 0x9002
KAN_PML4        equ 0x3000              ; kan_guest.h: the identity map kan built
EFER            equ 0xc0000080

extern ap_entry64
extern apic_interrupt
global ap_trampoline
global ap_trampoline_end
global ap_trampoline_stack
global landing_pad
global landing_pad_end
global apic_irq_stubs

section .rodata

; Real mode at CS = 0x1000, IP = 0 (SDM 9.4.4): into protected mode with our own GDT, then
; long mode on kan's page tables, then ap_entry64 on the stack the BSP left here.
%define TRAMP(label) (TRAMPOLINE_ADDR + (label) - ap_trampoline)
align 16
ap_trampoline:
bits 16
	cli
	mov ax, cs
	mov ds, ax
	o32 lgdt [tr_gdtr - ap_trampoline]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword 0x18:TRAMP(tr_protected)
bits 32
tr_protected:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10) ; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, KAN_PML4
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)    ; LME, NXE
	wrmsr
	mov eax, cr0
	and eax, ~((1 << 2) | (1 << 3)) ; EM, TS off: SSE works
	or eax, (1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) ; PG, WP, NE, MP
	mov cr0, eax
	jmp 0x08:TRAMP(tr_long)
bits 64
tr_long:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rsp, [TRAMP(ap_trampoline_stack)]
	mov rax, ap_entry64
	call rax                        ; never returns
.hang:
	pause
	jmp .hang
align 8
tr_gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code (the IDT's gates name it)
	dq 0x00cf92000000ffff           ; 0x10: flat data
	dq 0x00cf9a000000ffff           ; 0x18: 32-bit code, for the way through
tr_gdtr:
	dw 4 * 8 - 1
	dd TRAMP(tr_gdt)
align 8
ap_trampoline_stack:
	dq 0                            ; the BSP writes the AP's stack top into the copy
ap_trampoline_end:

; Where a start-up IPI with a vector the guest never meant lands (copied to 0xff000 and to 0):
; real mode, DS = 0 after INIT. It says where it runs (CS) and counts itself, then spins with
; interrupts off until the BSP sends INIT (a HLT with IF = 0 would make kan end the VM).
bits 16
landing_pad:
	mov ax, cs
	mov [LANDING_CS], ax
	lock inc word [LANDING_COUNT]
.spin:
	pause
	jmp .spin
landing_pad_end:

section .text
bits 64

; Vectors 32-255: one stub each, 16 bytes apart, then apic_interrupt(vector) with the
; caller-saved registers kept (the guest is built without SSE, so its C touches no XMM).
align 16
apic_irq_stubs:
%assign v 32
%rep 224
	align 16
	push qword v
	jmp irq_common
%assign v v + 1
%endrep

irq_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	mov rdi, [rsp + 72]             ; the vector
	sub rsp, 8                      ; 5 + 1 + 9 + 1 qwords: 16-byte aligned for the call
	cld
	call apic_interrupt
	add rsp, 8
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 8
	iretq
