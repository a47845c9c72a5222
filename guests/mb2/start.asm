; A Multiboot2 test kernel (issue 16): the header and its tags, and the entry that hands EAX
; and EBX to C. 32-bit protected mode, paging off, as the Multiboot2 specification's section
; 3.3 enters it.
bits 32

MB2_MAGIC equ 0xe85250d6
MB2_ARCH  equ 0			; i386
MB2_OPTIONAL equ 1		; a tag's flags: the loader may ignore it

%macro tag 3			; type, flags, size
	align 8, db 0
	dw %1, %2
	dd %3
%endmacro

extern load_end, bss_end
section .multiboot progbits alloc noexec nowrite align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
	; Required: what mb2.c checks (command line, loader name, modules, memory, memory map).
	tag 1, 0, 8 + 5 * 4
	dd 1, 2, 3, 4, 6
	tag 6, 0, 8		; modules page-aligned
	tag 5, MB2_OPTIONAL, 20	; a framebuffer if there is one: kan has none
	dd 1024, 768, 32
	; The address and entry tags under types kan does not know, marked optional so that it
	; loads the ELF: make-images.py gives them types 2 and 3 in the mb2-addr copy. Its
	; mb2-unknown-tag copy clears the optional flag of the first.
	tag 0x8002, MB2_OPTIONAL, 24
	dd mb2_header		; header_addr
	dd mb2_header		; load_addr: the file from this header on
	dd load_end		; load_end_addr
	dd bss_end		; bss_end_addr
	tag 0x8003, MB2_OPTIONAL, 12
	dd _start		; entry_addr
	tag 0, 0, 8
mb2_header_end:

%include "guests/lib32/entry.inc"
multiboot_entry mb2_main
