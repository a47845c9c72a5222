; The SMP guest without kan: a multiboot (version 1) image that QEMU's -kernel or GRUB's
; `multiboot` loads at 1 MiB (the a.out kludge: a flat image, so a 64-bit guest loads too). It
; builds the state kan gives a 64-bit guest (kan_guest.h: start info at 0x1000, GDT at 0x2000,
; page tables at 0x3000-0x8fff mapping 0-4 GiB, long mode, RSP at the top of RAM, RDI = the
; start info) and jumps to the guest library's _start. vcpus comes from QEMU's fw_cfg (the
; -smp count); elsewhere it is BARE_DEFAULT_CPUS. The command line after the image's name is
; the guest's, so `-append "-- ipis=100"` reaches guest_arg.

MB1_MAGIC          equ 0x1badb002
MB1_FLAGS          equ 1 << 16          ; the load addresses below are valid
MB1_BOOT_MAGIC     equ 0x2badb002
MB1_INFO_CMDLINE   equ 1 << 2
START_INFO         equ 0x1000           ; KAN_START_INFO_ADDR
GDT                equ 0x2000
PML4               equ 0x3000
PDPT               equ 0x4000
PD                 equ 0x5000           ; four pages
TABLES_END         equ 0x9000
RAM_SIZE           equ 16 << 20         ; what the start info says, as mem=16M would
KAN_START_MAGIC    equ 0x314e414b
FW_CFG_SELECT      equ 0x510
FW_CFG_DATA        equ 0x511
FW_CFG_NB_CPUS     equ 0x05
BARE_DEFAULT_CPUS  equ 4
CMDLINE_MAX        equ 255
MSR_EFER           equ 0xc0000080
EFER_LME           equ 1 << 8
EFER_NXE           equ 1 << 11
CR0_GUEST          equ 0x80010033       ; PG, WP, NE, ET, MP, PE

extern _start
extern __bare_load_end
extern __bare_bss_end
global bare_entry32

section .multiboot progbits alloc exec nowrite align=4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
	dd mb1_header                   ; header_addr
	dd mb1_header                   ; load_addr: the image starts with this header
	dd __bare_load_end
	dd __bare_bss_end
	dd bare_entry32

section .text.bare progbits alloc exec nowrite align=16
bits 32
bare_entry32:
	cli
	cld
	mov esp, bare_stack_top
	; The command line first: the loader's information may lie where the tables go.
	mov edi, bare_cmdline
	cmp eax, MB1_BOOT_MAGIC
	jne .tables
	test dword [ebx], MB1_INFO_CMDLINE
	jz .tables
	mov esi, [ebx + 16]
	mov ecx, CMDLINE_MAX
.copy_cmdline:
	lodsb
	test al, al
	jz .tables
	stosb
	loop .copy_cmdline
.tables:
	; The firmware's 8259s deliver IRQ 0 at vector 8, through the BSP's LINT0: kan gives its
	; guests no PIC, so neither does this.
	mov al, 0xff
	out 0x21, al
	out 0xa1, al
	mov dx, 0x3fb                   ; COM1's LCR: 8 data bits (the Bochs BIOS leaves 5)
	mov al, 0x03
	out dx, al
	mov edi, START_INFO
	mov ecx, (TABLES_END - START_INFO) / 4
	xor eax, eax
	rep stosd

	; struct kan_start_info
	mov dword [START_INFO + 0], KAN_START_MAGIC
	mov dword [START_INFO + 4], 1   ; abi_version
	mov dword [START_INFO + 8], 1   ; vm_id
	call bare_count_cpus
	mov [START_INFO + 12], eax      ; vcpus
	mov dword [START_INFO + 16], RAM_SIZE
	mov dword [START_INFO + 24], 'smp-'
	mov dword [START_INFO + 28], 'bare'
	mov esi, bare_cmdline
	mov edi, START_INFO + 48
	mov ecx, CMDLINE_MAX
	rep movsb

	; kan's GDT: null, 64-bit code 0x08, data 0x10 (the TSS at 0x18 is left out: nothing
	; here uses TR).
	mov dword [GDT + 8], 0x0000ffff
	mov dword [GDT + 12], 0x00af9a00
	mov dword [GDT + 16], 0x0000ffff
	mov dword [GDT + 20], 0x00cf9200

	; PML4[0] -> PDPT; PDPT[0..3] -> four directories of 2 MiB pages, present and writable.
	mov dword [PML4], PDPT | 3
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, PD | 3
	mov [PDPT + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                    ; present, writable, 2 MiB
	mov [PD + ecx * 8], eax
	mov eax, ecx
	shr eax, 11
	mov [PD + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .pd

	mov eax, PML4
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, 0x80000001
	cpuid
	xor ebx, ebx
	test edx, 1 << 20               ; NX, as kan's EFER.NXE
	jz .efer
	mov ebx, EFER_NXE
.efer:
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	or eax, ebx
	wrmsr
	mov eax, CR0_GUEST
	mov cr0, eax
	lgdt [bare_gdtr]
	jmp 0x08:bare_entry64

; EAX = fw_cfg's CPU count if this is QEMU, else BARE_DEFAULT_CPUS.
bare_count_cpus:
	mov dx, FW_CFG_SELECT
	xor ax, ax                      ; the signature
	out dx, ax
	mov dx, FW_CFG_DATA
	in al, dx
	shl eax, 8
	in al, dx
	shl eax, 8
	in al, dx
	shl eax, 8
	in al, dx
	cmp eax, 0x51454d55             ; "QEMU", its first byte now the highest
	jne .default
	mov dx, FW_CFG_SELECT
	mov ax, FW_CFG_NB_CPUS
	out dx, ax
	mov dx, FW_CFG_DATA
	xor eax, eax
	in al, dx
	mov ah, al
	in al, dx
	xchg al, ah                     ; little-endian
	ret
.default:
	mov eax, BARE_DEFAULT_CPUS
	ret

bits 64
bare_entry64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rsp, RAM_SIZE
	mov edi, START_INFO
	xor eax, eax
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	xor esi, esi
	xor ebp, ebp
	jmp _start

section .data
align 8
bare_gdtr:
	dw 3 * 8 - 1
	dd GDT

section .bss
align 16
bare_cmdline: resb CMDLINE_MAX + 1
bare_stack: resb 4096
bare_stack_top:
