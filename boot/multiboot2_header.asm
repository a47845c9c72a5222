; The multiboot2 header GRUB looks for in kan's first 32 KiB (multiboot2 spec, section 3.1).
; We ask for nothing beyond the defaults: GRUB passes the memory map, modules, command line
; and ACPI tags anyway.

MB2_MAGIC        equ 0xe85250d6
MB2_ARCH_I386    equ 0

section .multiboot2 align=8
mb2_header_start:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header_start
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))
	; end tag
	dw 0
	dw 0
	dd 8
mb2_header_end:
