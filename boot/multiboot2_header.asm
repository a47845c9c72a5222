; The multiboot2 header GRUB looks for in kan's first 32 KiB (multiboot2 spec, section 3.1).
; GRUB passes the memory map, modules, command line and ACPI tags anyway; kan asks for one
; thing more: a framebuffer for its screen console (section 3.1.10). The request is optional,
; so GRUB still boots kan in EGA text mode where it cannot set a graphics mode.

MB2_MAGIC        equ 0xe85250d6
MB2_ARCH_I386    equ 0
MB2_HEADER_TAG_FRAMEBUFFER equ 5
MB2_HEADER_TAG_OPTIONAL    equ 1

section .multiboot2 align=8
mb2_header_start:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header_start
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))
	; framebuffer: a preference, not a demand (GRUB picks the closest mode it has)
	dw MB2_HEADER_TAG_FRAMEBUFFER
	dw MB2_HEADER_TAG_OPTIONAL
	dd 20
	dd 1024 ; width (columns of 8 pixels: 128)
	dd 768  ; height
	dd 16   ; bits per pixel: 16, because Bochs's Cirrus BIOS has no 32 and its rfb display no 24
	align 8, db 0
	; end tag
	dw 0
	dw 0
	dd 8
mb2_header_end:
