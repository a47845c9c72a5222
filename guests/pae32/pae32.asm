; A guest that turns on PAE paging (32-bit protected mode, CR4.PAE, no long mode), the one
; paging mode whose PDPTEs VT-x loads from the VMCS on VM entry (SDM 26.3.2.4): kan must load
; them from the guest's CR3 when it emulates the CR0 write that turns paging on. Starts in
; real mode, like real16, and maps its 1 MiB twice: at 0 (identity) and at 2 MiB. It reads a
; marker through the 2 MiB alias (guest-physical 2 MiB is not RAM: without paging that read
; is an EPT violation) and ends with status 0 when it reads the marker there.

%include "guests/include/kan_hypercall.inc"

KAN_UART_PORT equ 0x3f8
KAN_HC_EXIT   equ 1
PDPT          equ 0x20000            ; 32-byte aligned table of four PDPTEs
PD            equ 0x21000
ALIAS         equ 0x200000           ; the second mapping of guest-physical 0

global _start
section .text
bits 16
_start:
	cli
	KAN_PICK_HYPERCALL hypercall_vmmcall
	lgdt [gdt_descriptor]
	mov eax, cr0
	or eax, 1                      ; PE
	mov cr0, eax
	jmp dword 0x08:protected

bits 32
protected:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, 0xfff0
	; PD: entry 0 maps [0, 2 MiB) and entry 1 maps [2 MiB, 4 MiB), both onto physical 0,
	; as 2 MiB pages (PS, RW, P). Everything else is not present.
	mov edi, PD
	mov ecx, 1024
	xor eax, eax
	rep stosd
	mov dword [PD + 0], 0x83
	mov dword [PD + 8], 0x83
	mov edi, PDPT
	mov ecx, 8
	rep stosd
	mov dword [PDPT], PD | 1        ; PDPTE 0: present, no other bits (they are reserved)
	mov eax, PDPT
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                 ; PAE
	mov cr4, eax
	mov eax, cr0
	or eax, 1 << 31                ; PG: kan emulates this write and loads the PDPTEs
	mov cr0, eax
	mov esi, ok_message
	mov eax, [marker + ALIAS]
	xor edi, edi
	cmp eax, 0x3233414b            ; "KA32"
	je .print
	mov esi, wrong_message
	mov edi, 1
.print:
	mov dx, KAN_UART_PORT + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	lodsb
	test al, al
	jz .exit
	mov dx, KAN_UART_PORT
	out dx, al
	jmp .print
.exit:
	mov eax, KAN_HC_EXIT
	KAN_HYPERCALL hypercall_vmmcall
	hlt

align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff          ; 0x08: 32-bit code, flat
	dq 0x00cf92000000ffff          ; 0x10: data, flat
gdt_descriptor:
	dw gdt_descriptor - gdt - 1
	dd gdt
marker:
	dd 0x3233414b
hypercall_vmmcall:
	db 0
ok_message:
	db "pae32: PAE paging on; the marker reads back through the 2 MiB alias", 10, 0
wrong_message:
	db "pae32: WRONG: the 2 MiB alias does not show the marker", 10, 0
