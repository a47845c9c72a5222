; Entry of kan's 64-bit test guests: kan starts us in long mode with RSP at the top of RAM
; and RDI pointing at struct kan_start_info; guest_main's return value is the exit status.

KAN_HC_EXIT equ 1

extern guest_main
global _start

section .text.start
bits 64
_start:
	xor ebp, ebp
	and rsp, -16
	call guest_main
	mov rdi, rax
	mov eax, KAN_HC_EXIT
	vmcall
.hang:
	hlt
	jmp .hang
