; The guest's way in and out under AMD-V (APM Vol. 2, 15.5). svm_enter() saves kan's
; callee-saved registers and loops: CLGI, load the guest's general registers, VMLOAD the
; guest's TR/FS/GS/LDTR/SYSCALL state, VMRUN; after the #VMEXIT, VMSAVE that state, store the
; registers, VMLOAD kan's own again, STGI, and call svm_exit_dispatch(vcpu). When it says
; resume (0) the loop runs the guest again at once, without returning to C: the exit fast
; path. Any other answer returns it from svm_enter().
;
; Interrupts: STI between CLGI and VMRUN leaves physical interrupts held by GIF alone, so with
; V_INTR_MASKING they make the guest exit (the INTR intercept); after the exit CLI comes before
; STGI, so they wait for kan, and only NMIs reach kan's handler during the exit handlers.
;
; struct vcpu starts with struct guest_regs: 16 quadwords in x86 register-number order
; (RAX RCX RDX RBX RSP* RBP RSI RDI R8..R15). RAX and RSP live in the VMCB: svm_exit_dispatch
; copies RAX to and from regs; the RSP slot is unused.

%define REG(n) [rax + (n) * 8]

extern svm_exit_dispatch
global svm_enter

section .text
bits 64

; int svm_enter(struct vcpu *vcpu /* rdi */, uint64_t vmcb_pa /* rsi */,
;               uint64_t host_vmcb_pa /* rdx */)
svm_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; [rsp + 16] = vcpu
	push rsi                        ; [rsp + 8]  = the guest's VMCB
	push rdx                        ; [rsp]      = kan's VMSAVE area; rsp is 16-aligned
.run:
	clgi
	sti
	mov rax, [rsp + 16]
	mov rcx, REG(1)
	mov rdx, REG(2)
	mov rbx, REG(3)
	mov rbp, REG(5)
	mov rsi, REG(6)
	mov rdi, REG(7)
	mov r8,  REG(8)
	mov r9,  REG(9)
	mov r10, REG(10)
	mov r11, REG(11)
	mov r12, REG(12)
	mov r13, REG(13)
	mov r14, REG(14)
	mov r15, REG(15)
	mov rax, [rsp + 8]
	vmload
	vmrun
	vmsave                          ; rax is kan's again: the VMCB's address
	mov rax, [rsp + 16]
	mov REG(1), rcx
	mov REG(2), rdx
	mov REG(3), rbx
	mov REG(5), rbp
	mov REG(6), rsi
	mov REG(7), rdi
	mov REG(8), r8
	mov REG(9), r9
	mov REG(10), r10
	mov REG(11), r11
	mov REG(12), r12
	mov REG(13), r13
	mov REG(14), r14
	mov REG(15), r15
	mov rax, [rsp]
	vmload
	cli
	stgi
	xor ebp, ebp                    ; backtraces end here, not in the guest's frames
	mov rdi, [rsp + 16]
	call svm_exit_dispatch
	test eax, eax
	jz .run
	add rsp, 24
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
