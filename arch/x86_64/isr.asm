; Exception entry stubs: give every vector the same frame (vector, error code, all GPRs)
; and hand it to exception_dispatch in exceptions.c.

extern exception_dispatch
global exception_stubs
global interrupt_stubs
global nmi_unblock

section .text
bits 64

%macro STUB 1
stub_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
	push 0                          ; vectors without a CPU error code get a zero
%endif
	push %1
	jmp exception_common
%endmacro

%assign v 0
%rep 32
	STUB v
%assign v v+1
%endrep

; Every vector from 0x20 up has a stub, in blocks of 8: each stub pushes its vector (a
; sign-extended byte: exception_dispatch keeps the low 8 bits) and jumps to its block's tail,
; 4 bytes each, then an 8-byte tail. idt.c finds vector v at interrupt_stubs
; + (v - 0x20) / 8 * 40 + (v % 8) * 4.
%macro IRQ_BLOCK 1
%assign v %1
%rep 8
	push strict byte (v - 256 * (v / 128))
	jmp short %%tail
%assign v v+1
%endrep
%%tail:
	jmp strict near irq_common
	times 3 db 0xcc
%endmacro

interrupt_stubs:
%assign b 0x20
%rep 28
	IRQ_BLOCK b
%assign b b+8
%endrep

; A device interrupt has no error code: give it a zero one, under the vector.
irq_common:
	push qword [rsp]
	mov qword [rsp + 8], 0

exception_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld
	call exception_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                     ; vector and error code
	iretq

; A VM exit caused by an NMI leaves NMIs blocked, and only an IRET ends that (Bochs keeps
; them blocked across VM entries too). An IRET to the next instruction, on the same stack.
nmi_unblock:
	mov rax, rsp
	push 0x10                       ; SS: SEL_KERNEL_DATA
	push rax                        ; RSP as it was
	pushfq
	push 0x08                       ; CS: SEL_KERNEL_CODE
	lea rax, [rel .unblocked]
	push rax
	iretq
.unblocked:
	ret

section .rodata
align 8
exception_stubs:
%assign v 0
%rep 32
	dq stub_%+v
%assign v v+1
%endrep
