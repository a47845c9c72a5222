; Exception entry for kan's 64-bit test guests: one stub per vector 0-31 builds the same frame
; (error code, vector, general registers) and calls guest_trap_dispatch (trap.c); guest_try
; is the setjmp-like half that a trapped exception can return to.

extern guest_trap_dispatch
extern guest_last_trap
global guest_trap_stubs
global guest_try
global guest_try_resume
global guest_try_rsp

; Vectors whose exceptions push an error code (SDM Vol. 3A, Table 6-1).
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
bits 64

; Each stub is 16 bytes apart so trap.c can compute stub addresses from the first.
align 16
guest_trap_stubs:
%assign v 0
%rep 32
	align 16
%if HAS_ERROR_CODE(v) == 0
	push 0
%endif
	push v
	jmp trap_common
%assign v v + 1
%endrep

trap_common:
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
	cld
	mov rdi, rsp            ; struct guest_trap_frame *
	call guest_trap_dispatch ; 64-bit mode aligned RSP to 16 before the CPU's pushes: 22 qwords keep it
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
	add rsp, 16             ; vector and error code
	iretq

; int guest_try(void (*fn)(void *arg), void *arg): -1 if fn returned, else the vector of the
; exception that abandoned it. Saves what the ABI says a callee keeps, so the exception
; handler can come back here with RSP = guest_try_rsp from anywhere inside fn.
guest_try:
	push rbp
	mov rbp, rsp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push qword [rel guest_try_rsp] ; the enclosing guest_try, if any
	mov [rel guest_try_rsp], rsp
	mov rax, rdi
	mov rdi, rsi
	call rax
	mov eax, -1
	jmp try_out
guest_try_resume:
	movsxd rax, dword [rel guest_last_trap] ; guest_last_trap.vector
try_out:
	pop qword [rel guest_try_rsp]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .bss
align 8
guest_try_rsp: resq 1
