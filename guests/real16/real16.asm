; A 16-bit real-mode guest (under VT-x it needs unrestricted guest): prints through the virtual UART
; and ends with KAN_HC_EXIT, using nothing but port I/O, CPUID and the hypercall instruction.

%include "guests/include/kan_hypercall.inc"

KAN_UART_PORT equ 0x3f8
KAN_HC_EXIT   equ 1

global _start
section .text
bits 16
_start:
	KAN_PICK_HYPERCALL hypercall_vmmcall
	mov si, message
.next:
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
	jmp .next
.done:
	; Prove we really are in real mode: CR0.PE reads back as 0.
	mov eax, cr0
	test al, 1
	mov edi, 0
	jz .exit
	mov edi, 1
.exit:
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL hypercall_vmmcall
	hlt

hypercall_vmmcall:
	db 0

message:
	db "hello from a 16-bit real-mode guest", 10, 0
