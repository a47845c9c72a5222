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

%include "guests/lib32/entry.inc"
multiboot_entry mb1_main
