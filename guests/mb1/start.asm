; A Multiboot 1 test kernel (issue 16): the header, and the entry that hands EAX and EBX to C.
; 32-bit protected mode, paging off, as the Multiboot specification's section 3.2 enters it.
bits 32

MB1_MAGIC equ 0x1badb002
MB1_FLAGS equ 0x3		; modules page-aligned, memory information

section .multiboot progbits alloc noexec nowrite align=4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)

section .text
global _start
extern mb1_main
_start:
	mov esp, stack_top	; the specification leaves ESP undefined
	pushfd			; EFLAGS as kan left it, for mb1_main to check
	push ebx
	push eax
	call mb1_main
	; The exit port ends the VM with mb1_main's result (exitport=yes).
	mov dx, 0xf4
	out dx, al
.halt:	hlt
	jmp .halt

section .bss
align 16
	resb 8192
stack_top:
