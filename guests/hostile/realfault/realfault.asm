; A 16-bit real-mode guest that takes exceptions through its own IVT: RDMSR and WRMSR of a
; refused MSR, RDPMC and MOV to CR4 with VMXE set must each be #GP, XSETBV (CR4.OSXSAVE is
; off) and UD2 #UD, delivered as real mode delivers them: IP, CS and FLAGS on the stack and
; no error code. The handlers move IP past the faulting instruction. Exit status: how many
; instructions did not fault as expected (0: all did); 2 for a frame with an error code in
; it, 3 for an exception nobody expected.

%include "guests/include/kan_hypercall.inc"

KAN_UART_PORT equ 0x3f8
KAN_HC_EXIT   equ 1
MSR_APIC_BASE equ 0x1b
CR4_VMXE      equ 1 << 13
VECTOR_UD     equ 6
VECTOR_GP     equ 13
NO_FAULT      equ 0xff

global _start
section .text
bits 16

; TRY name, expected vector, instruction: runs the instruction with the handlers told where
; it is and where to resume, then prints its name and what it raised.
%macro TRY 3+
	mov word [fault_ip], %%insn
	mov word [fault_next], %%after
	mov byte [last_vector], NO_FAULT
%%insn:
	%3
%%after:
	mov si, %%name
	mov bl, %2
	call report
	jmp %%done
%%name: db %1, 0
%%done:
%endmacro

_start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	; Every vector 0-31 to `unexpected`, then #UD and #GP to their handler.
	xor di, di
	mov cx, 32
.ivt:
	mov word [di], unexpected
	mov word [di + 2], 0
	add di, 4
	loop .ivt
	mov word [VECTOR_UD * 4], ud_handler
	mov word [VECTOR_GP * 4], gp_handler
	KAN_PICK_HYPERCALL hypercall_vmmcall

	mov si, opening
	call puts
	mov ecx, MSR_APIC_BASE
	TRY "rdmsr", VECTOR_GP, rdmsr
	mov ecx, MSR_APIC_BASE
	xor eax, eax
	xor edx, edx
	TRY "wrmsr", VECTOR_GP, wrmsr
	xor ecx, ecx
	TRY "rdpmc", VECTOR_GP, rdpmc
	mov eax, cr4
	or eax, CR4_VMXE
	TRY "mov cr4", VECTOR_GP, mov cr4, eax
	xor ecx, ecx
	mov eax, 1
	xor edx, edx
	TRY "xsetbv", VECTOR_UD, xsetbv
	TRY "ud2", VECTOR_UD, ud2
	mov si, newline
	call puts

	mov si, closing
	call puts
	movzx edi, byte [wrong]
	mov al, [wrong]
	add al, '0'
	call putc
	mov si, closing2
	call puts
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL hypercall_vmmcall
	hlt

; Prints ", " unless first, the name at SI and what last_vector says; counts a mismatch
; with the expected vector in BL.
report:
	cmp byte [first], 0
	jne .named
	push si
	mov si, separator
	call puts
	pop si
.named:
	mov byte [first], 0
	call puts
	mov al, [last_vector]
	cmp al, bl
	je .as_expected
	inc byte [wrong]
.as_expected:
	mov si, said_gp
	cmp al, VECTOR_GP
	je .say
	mov si, said_ud
	cmp al, VECTOR_UD
	je .say
	mov si, said_none
.say:
	jmp puts

gp_handler:
	push bp
	mov bp, sp
	push ax
	mov al, VECTOR_GP
	jmp fault
ud_handler:
	push bp
	mov bp, sp
	push ax
	mov al, VECTOR_UD
fault:
	mov [last_vector], al
	; Real mode pushes FLAGS, CS, IP: [bp + 2] is IP, [bp + 4] CS. An error code would
	; sit at [bp + 2] and push IP to [bp + 4].
	mov ax, [fault_ip]
	cmp [bp + 2], ax
	jne bad_frame
	cmp word [bp + 4], 0
	jne bad_frame
	mov ax, [fault_next]
	mov [bp + 2], ax
	pop ax
	pop bp
	iret

bad_frame:
	mov si, bad_frame_text
	call puts
	mov edi, 2
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL hypercall_vmmcall
	hlt

unexpected:
	mov si, unexpected_text
	call puts
	mov edi, 3
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL hypercall_vmmcall
	hlt

puts:
	lodsb
	test al, al
	jz .done
	call putc
	jmp puts
.done:
	ret

putc:
	push dx
	push ax
	mov dx, KAN_UART_PORT + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	pop ax
	mov dx, KAN_UART_PORT
	out dx, al
	pop dx
	ret

opening:         db "real mode: ", 0
separator:       db ", ", 0
said_gp:         db " #GP", 0
said_ud:         db " #UD", 0
said_none:       db " no fault", 0
newline:         db 10, 0
closing:         db "real mode: ", 0
closing2:        db " instructions not as on hardware; every frame IP, CS, FLAGS without an error code", 10, 0
bad_frame_text:  db 10, "real mode: BAD FRAME: the word where IP belongs is not the faulting IP (an error code?)", 10, 0
unexpected_text: db 10, "real mode: UNEXPECTED EXCEPTION (vector not #UD or #GP)", 10, 0

section .data
fault_ip:    dw 0
fault_next:  dw 0
last_vector: db NO_FAULT
first:       db 1
wrong:       db 0
hypercall_vmmcall: db 0
