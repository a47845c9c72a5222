; Entry of kan's 64-bit test guests: kan starts us in long mode with RSP at the top of RAM
; and RDI pointing at struct kan_start_info; guest_main's return value is the exit status.
; First it picks the hypercall instruction for guest.h's kan_hypercall (VMCALL or VMMCALL).

%include "guests/include/kan_hypercall.inc"

KAN_HC_EXIT equ 1

extern guest_main
extern guest_hypercall_vmmcall
global _start

section .text.start
bits 64
_start:
	xor ebp, ebp
	and rsp, -16
	mov r12, rdi                    ; struct kan_start_info *; CPUID writes RBX
	KAN_PICK_HYPERCALL guest_hypercall_vmmcall
	mov rdi, r12
	call guest_main
	mov rdi, rax
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL guest_hypercall_vmmcall
.hang:
	hlt
	jmp .hang
