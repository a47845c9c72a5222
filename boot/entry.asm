; kan's first instructions: GRUB leaves us in 32-bit protected mode, paging off, with the
; multiboot2 magic in EAX and the info pointer in EBX. We build an identity map of the low
; 4 GiB with 2 MiB pages, enter long mode and call kernel_main(magic, info).

MB2_BOOTLOADER_MAGIC equ 0x36d76289
COM1                 equ 0x3f8
BOOT_STACK_SIZE      equ 16384
BOCHS_SHUTDOWN_PORT  equ 0x8900
QEMU_DEBUG_EXIT_PORT equ 0xf4

extern kernel_main
global boot_entry32
global boot_pml4
global boot_tsc

section .boot32 progbits alloc exec nowrite align=16
bits 32
boot_entry32:
	cli
	mov esp, boot_stack_top
	mov edi, eax                    ; keep magic and info pointer for kernel_main
	mov esi, ebx
	rdtsc                           ; when GRUB handed over: the start of kan's boot time
	mov [boot_tsc], eax
	mov [boot_tsc + 4], edx

	; Long mode is required; without it we can only say so on the serial port.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
	mov eax, boot_pdpt
	or eax, 0x3                     ; present, writable
	mov [boot_pml4], eax
	mov ecx, 0
.fill_pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, 0x3
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .fill_pdpt
	mov ecx, 0
.fill_pd:
	mov eax, ecx
	shl eax, 21                     ; low 32 bits of the 2 MiB frame address
	or eax, 0x83                    ; present, writable, page size
	mov [boot_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; high bits of (ecx << 21)
	mov [boot_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .fill_pd

	mov eax, boot_pml4
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                  ; CR4.PAE
	mov cr4, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	wrmsr
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29)) ; caches on: firmware may leave CD and NW set
	or eax, (1 << 31) | (1 << 16) | 1 ; PG, WP, PE
	mov cr0, eax

	lgdt [boot_gdt_pointer]
	jmp 0x08:boot_entry64

.no_long_mode:
	mov dx, COM1 + 3                ; COM1 as kan's console has it: 115200 baud, 8N1
	mov al, 0x80                    ; LCR.DLAB: the divisor follows
	out dx, al
	mov dx, COM1
	mov al, 1
	out dx, al
	inc dx
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 0x03                    ; 8 data bits, no parity, 1 stop bit
	out dx, al
	mov esi, no_long_mode_message
.print:
	lodsb
	test al, al
	jz .drained
	mov ah, al
	call .wait_uart
	mov al, ah
	mov dx, COM1
	out dx, al
	jmp .print
.wait_uart:                             ; until the transmitter is empty (LSR.TEMT), bounded
	mov ecx, 1000000
	mov dx, COM1 + 5
.poll:
	in al, dx
	test al, 0x40
	jnz .ready
	loop .poll
.ready:
	ret
.drained:
	call .wait_uart                 ; emulators drop what is still in the UART when they exit
	; In Bochs or QEMU (ACPI RSDP with OEM ID "BOCHS "), end the emulator as kernel_main
	; would (drivers/platform_exit.c); on anything else their ports may be a real device's.
.halt:
	mov esi, 0xe0000
.find_rsdp:
	cmp dword [esi], 'RSD '
	jne .next
	cmp dword [esi + 4], 'PTR '
	jne .next
	cmp dword [esi + 9], 'BOCH'
	jne .stop
	cmp word [esi + 13], 'S '
	jne .stop
	mov esi, shutdown_word
	mov dx, BOCHS_SHUTDOWN_PORT
.say_shutdown:
	lodsb
	test al, al
	jz .qemu_exit
	out dx, al
	jmp .say_shutdown
.qemu_exit:
	mov eax, 1
	out QEMU_DEBUG_EXIT_PORT, eax
	jmp .stop
.next:
	add esi, 16
	cmp esi, 0x100000
	jb .find_rsdp
.stop:
	hlt
	jmp .stop

shutdown_word:
	db "Shutdown", 0
no_long_mode_message:
	db "kan: this CPU has no long mode (64-bit); kan cannot run here and stops.", 13, 10, 0

bits 64
boot_entry64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor ax, ax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor rbp, rbp                    ; ends the backtrace chain
	; edi = magic, esi = info pointer (zero-extended by the 32-bit moves above)
	mov edi, edi
	mov esi, esi
	call kernel_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
align 8
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
boot_gdt_pointer:
	dw boot_gdt_pointer - boot_gdt - 1
	dq boot_gdt

section .bss
alignb 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * 4
global boot_stack_guard
boot_stack_guard:                       ; unmapped by paging_init: an overflow faults
	resb 4096
boot_stack_bottom:
	resb BOOT_STACK_SIZE
global boot_stack_top
boot_stack_top:
boot_tsc:   resq 1
