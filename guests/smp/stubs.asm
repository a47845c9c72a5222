; Interrupt and exception entry of the SMP guest: one 16-byte stub per vector 0-255 pushes the
; same frame (error code or 0, vector) and calls smp_interrupt (idt.c). Only the registers C
; may clobber are saved: smp_interrupt keeps the rest. The guest's C never touches vector
; registers (-mgeneral-regs-only), so an interrupt leaves the interrupted code's SSE state alone.

extern smp_interrupt
global smp_interrupt_stubs

; Vectors whose exceptions push an error code (SDM Vol. 3A, Table 6-1).
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
bits 64

align 16
smp_interrupt_stubs:
%assign v 0
%rep 256
	align 16
%if HAS_ERROR_CODE(v) == 0
	push 0
%endif
	push v
	jmp interrupt_common
%assign v v + 1
%endrep

interrupt_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	cld
	mov rdi, rsp                    ; struct smp_frame *
	call smp_interrupt              ; 5 + 2 + 9 qwords: RSP is 16-byte aligned here
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 16                     ; vector and error code
	iretq
