; Entry of kan's 64-bit test guests that are built with SSE (Makefile: GUEST_LIB_SSE): the
; same as start64.asm, after turning on what the compiler's code and the guest's own vector
; code need. SSE: CR0.MP set, EM and TS clear, CR4.OSFXSR and OSXMMEXCPT. AVX and AVX-512
; only where CPUID offers XSAVE and AVX: CR4.OSXSAVE, then XCR0 = what CPUID.(0xd,0):EAX
; allows of x87, SSE, AVX, opmask, ZMM_Hi256 and Hi16_ZMM (the last three only together).

%include "guests/include/kan_hypercall.inc"

KAN_HC_EXIT     equ 1
CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10
CR4_OSXSAVE     equ 1 << 18
CPUID1_XSAVE    equ 1 << 26
CPUID1_AVX      equ 1 << 28
XCR0_WANTED     equ 0xe7            ; x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
XCR0_AVX512     equ 0xe0

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
	mov rax, cr0
	and rax, ~(CR0_EM | CR0_TS)
	or rax, CR0_MP
	mov cr0, rax
	mov rax, cr4
	or rax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, rax
	mov eax, 1
	xor ecx, ecx
	cpuid
	and ecx, CPUID1_XSAVE | CPUID1_AVX
	cmp ecx, CPUID1_XSAVE | CPUID1_AVX
	jne .main
	mov rax, cr4
	or rax, CR4_OSXSAVE
	mov cr4, rax
	mov eax, 0xd
	xor ecx, ecx
	cpuid
	and eax, XCR0_WANTED
	mov edx, eax
	and edx, XCR0_AVX512
	cmp edx, XCR0_AVX512
	je .set
	and eax, ~XCR0_AVX512
.set:
	xor edx, edx
	xor ecx, ecx
	xsetbv
.main:
	mov rdi, r12
	call guest_main
	mov rdi, rax
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL guest_hypercall_vmmcall
.hang:
	hlt
	jmp .hang
