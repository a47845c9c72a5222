; A Multiboot 1 test kernel (issue 16): the header, and the entry that hands EAX and EBX to C.
; 32-bit protected mode, paging off, as the Multiboot specification's section 3.2 enters it.
bits 32

MB1_MAGIC equ 0x1badb002
MB1_FLAGS equ 0x3		; modules page-aligned, memory information

extern load_end, bss_end
section .multiboot progbits alloc noexec nowrite align=4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
	; The a.out kludge's address fields, read only with flags bit 16, which make-images.py
	; sets in the mb1-aout copy: the file from this header on is the image, loaded here.
	dd mb1_header		; header_addr
	dd mb1_header		; load_addr
	dd load_end		; load_end_addr
	dd bss_end		; bss_end_addr
	dd _start		; entry_addr

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
