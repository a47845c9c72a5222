; A real-mode guest that makes its hypercalls with AMD's VMMCALL from a code segment whose base
; is not 0 (tests/scenarios/test_hypercall_vendor.py): kan must read the instruction at
; CS.base + IP. A #UD reaches its own IVT handler, which ends the VM with status 6 by VMCALL.

KAN_UART_PORT  equ 0x3f8
KAN_HC_VERSION equ 0
KAN_HC_EXIT    equ 1
CODE_SEGMENT   equ 0x0700 ; base 0x7000: the image is linked at 0x8000
VECTOR_UD      equ 6

global _start
section .text
bits 16
_start:
	xor ax, ax
	mov ds, ax
	mov word [VECTOR_UD * 4], ud_handler
	mov word [VECTOR_UD * 4 + 2], 0
	jmp CODE_SEGMENT:(in_segment - CODE_SEGMENT * 16)

in_segment:
	mov eax, KAN_HC_VERSION
	vmmcall
	cmp eax, 1
	jne .wrong
	mov si, version_line
	call print
	mov edi, 0
	jmp .exit
.wrong:
	mov si, wrong_line
	call print
	mov edi, 1
.exit:
	mov eax, KAN_HC_EXIT
	vmmcall
	hlt

; Prints the zero-terminated string at DS:SI through the UART (calls are relative: any CS).
print:
	lodsb
	test al, al
	jz .done
	mov dx, KAN_UART_PORT + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov al, [si - 1]
	mov dx, KAN_UART_PORT
	out dx, al
	jmp print
.done:
	ret

ud_handler:
	mov si, ud_line
	call print
	mov edi, VECTOR_UD
	mov eax, KAN_HC_EXIT
	vmcall
	hlt

version_line:
	db "vmmcall16: KAN_HC_VERSION through VMMCALL at CS 0x0700: 1", 10, 0
wrong_line:
	db "vmmcall16: KAN_HC_VERSION through VMMCALL: WRONG", 10, 0
ud_line:
	db "vmmcall16: #UD", 10, 0
