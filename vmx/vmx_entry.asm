; The guest's way in and out. vmx_enter() saves kan's callee-saved registers, points
; HOST_RSP at them, loads the guest's general registers and launches or resumes the guest.
; A VM exit lands on vmx_exit_entry (HOST_RIP): it stores the guest's registers and calls
; vmx_exit_dispatch(vcpu). When the handler says resume (0), the stub reloads the guest's
; registers and resumes at once, without unwinding to C: that is the exit fast path. Any other
; answer returns it from vmx_enter(). A failed VMLAUNCH/VMRESUME returns -1 (VMfailInvalid)
; or -2 (VMfailValid).
;
; struct vcpu starts with struct guest_regs: 16 quadwords in x86 register-number order
; (RAX RCX RDX RBX RSP* RBP RSI RDI R8..R15); the RSP slot is unused, the guest's RSP lives in
; the VMCS.

VMCS_HOST_RSP equ 0x6c14

%define REG(n) [rdi + (n) * 8]

extern vmx_exit_dispatch
global vmx_enter
global vmx_exit_entry

section .text
bits 64

%macro LOAD_GUEST_REGS 0              ; rdi = vcpu; clobbers everything, rdi last
	mov rax, REG(0)
	mov rcx, REG(1)
	mov rdx, REG(2)
	mov rbx, REG(3)
	mov rbp, REG(5)
	mov rsi, REG(6)
	mov r8,  REG(8)
	mov r9,  REG(9)
	mov r10, REG(10)
	mov r11, REG(11)
	mov r12, REG(12)
	mov r13, REG(13)
	mov r14, REG(14)
	mov r15, REG(15)
	mov rdi, REG(7)
%endmacro

; int vmx_enter(struct vcpu *vcpu /* rdi */, int launched /* esi */)
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; [rsp] = vcpu, for the exit path; rsp is 16-aligned
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .failed
	test esi, esi
	jnz .resume
	LOAD_GUEST_REGS
	vmlaunch
	jmp .failed
.resume:
	LOAD_GUEST_REGS
	vmresume
.failed:
	; Only reached when the instruction failed: CF=1 VMfailInvalid, ZF=1 VMfailValid.
	mov eax, -1
	jc .leave
	mov eax, -2
.leave:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

vmx_exit_entry:
	push rdi                        ; the guest's RDI; the vcpu pointer is now at [rsp + 8]
	mov rdi, [rsp + 8]
	mov REG(0), rax
	mov REG(1), rcx
	mov REG(2), rdx
	mov REG(3), rbx
	mov REG(5), rbp
	mov REG(6), rsi
	mov REG(8), r8
	mov REG(9), r9
	mov REG(10), r10
	mov REG(11), r11
	mov REG(12), r12
	mov REG(13), r13
	mov REG(14), r14
	mov REG(15), r15
	pop rax
	mov REG(7), rax
	call vmx_exit_dispatch          ; rsp is back at HOST_RSP: 16-aligned
	test eax, eax
	jnz .leave_to_scheduler
	mov rdi, [rsp]
	LOAD_GUEST_REGS
	vmresume
	jmp vmx_enter.failed
.leave_to_scheduler:
	jmp vmx_enter.leave
