; iso_switch (isolation.h): the vector registers, RFLAGS and CR2 are loaded, read back, yielded
; with and read again here, so that no compiler code runs between the load and the last read.

KAN_HC_YIELD equ 3

; struct iso_vector_state
OFF_YMM    equ 512
OFF_ZMM    equ 1024
OFF_K      equ 3072
OFF_RFLAGS equ 3136
OFF_CR2    equ 3144
OFF_XCR0   equ 3152
OFF_USABLE equ 3160

FEAT_OSXSAVE  equ 1
FEAT_AVX      equ 2
FEAT_AVX512   equ 4
FEAT_AVX512BW equ 8
USE_AVX       equ 1
USE_AVX512    equ 2

global iso_switch
global iso_save
extern guest_hypercall_vmmcall      ; guests/lib/guest.h

section .text
bits 64

; r10d = the USE_* parts the features (r9d) and today's XCR0 allow; r11 = XCR0 (0 without
; CR4.OSXSAVE). Clobbers eax, ecx, edx.
%macro USABLE 0
	xor r10d, r10d
	xor r11d, r11d
	test r9d, FEAT_OSXSAVE
	jz %%done
	xor ecx, ecx
	xgetbv
	mov r11d, eax
	shl rdx, 32
	or r11, rdx
	test r9d, FEAT_AVX
	jz %%done
	mov ecx, eax
	and ecx, 0x6                    ; SSE and AVX state
	cmp ecx, 0x6
	jne %%done
	or r10d, USE_AVX
	test r9d, FEAT_AVX512
	jz %%done
	and eax, 0xe6                   ; and opmask, ZMM_Hi256, Hi16_ZMM
	cmp eax, 0xe6
	jne %%done
	or r10d, USE_AVX512
%%done:
%endmacro

%macro LOAD 1
	fxrstor64 [%1]
	test r10d, USE_AVX
	jz %%done
%assign i 0
%rep 16
	vmovdqu ymm%[i], [%1 + OFF_YMM + 32 * i]
%assign i i + 1
%endrep
	test r10d, USE_AVX512
	jz %%done
%assign i 0
%rep 32
	vmovdqu64 zmm%[i], [%1 + OFF_ZMM + 64 * i]
%assign i i + 1
%endrep
	test r9d, FEAT_AVX512BW
	jz %%narrow
%assign i 0
%rep 8
	kmovq k%[i], [%1 + OFF_K + 8 * i]
%assign i i + 1
%endrep
	jmp %%done
%%narrow:
%assign i 0
%rep 8
	kmovw k%[i], [%1 + OFF_K + 8 * i]
%assign i i + 1
%endrep
%%done:
%endmacro

%macro SAVE 1
	fxsave64 [%1]
	mov [%1 + OFF_XCR0], r11
	mov [%1 + OFF_USABLE], r10
	test r10d, USE_AVX
	jz %%done
%assign i 0
%rep 16
	vmovdqu [%1 + OFF_YMM + 32 * i], ymm%[i]
%assign i i + 1
%endrep
	test r10d, USE_AVX512
	jz %%done
%assign i 0
%rep 32
	vmovdqu64 [%1 + OFF_ZMM + 64 * i], zmm%[i]
%assign i i + 1
%endrep
	test r9d, FEAT_AVX512BW
	jz %%narrow
%assign i 0
%rep 8
	kmovq [%1 + OFF_K + 8 * i], k%[i]
%assign i i + 1
%endrep
	jmp %%done
%%narrow:
%assign i 0
%rep 8
	kmovw [%1 + OFF_K + 8 * i], k%[i]
%assign i i + 1
%endrep
%%done:
%endmacro

; void iso_switch(const struct iso_vector_state *in, struct iso_vector_state *ref,
;                 struct iso_vector_state *out, unsigned features)
iso_switch:
	pushfq                          ; the caller's RFLAGS (DF clear), back before returning
	mov r8, rdx                     ; out: XGETBV writes EDX
	mov r9d, ecx
	USABLE
	LOAD rdi
	mov rax, [rdi + OFF_CR2]
	mov cr2, rax
	SAVE rsi
	mov rax, cr2
	mov [rsi + OFF_CR2], rax
	; The hypercall instruction (guest.h) is picked here, while the flags may still change:
	; from the load of RFLAGS on, only a jump through R11 chooses it.
	lea r11, [rel .vmcall]
	cmp byte [rel guest_hypercall_vmmcall], 0
	je .picked
	lea r11, [rel .vmmcall]
.picked:
	push qword [rdi + OFF_RFLAGS]
	popfq
	pushfq                          ; neither PUSHF, POP, MOV, JMP nor the hypercall touch them
	pop qword [rsi + OFF_RFLAGS]
	mov eax, KAN_HC_YIELD
	jmp r11
.vmmcall:
	vmmcall                         ; the other VMs on this CPU run now
	jmp .yielded
.vmcall:
	vmcall                          ; the other VMs on this CPU run now
.yielded:
	pushfq
	pop qword [r8 + OFF_RFLAGS]
	popfq
	mov rax, cr2
	mov [r8 + OFF_CR2], rax
	USABLE                          ; XCR0 may have changed: the xcr0 row says so
	SAVE r8
	; This round's values again, so that a preemption anywhere until the next yield finds
	; them; only MXCSR goes back to the default, for the compiler's own SSE code.
	LOAD rdi
	mov rax, [rdi + OFF_CR2]
	mov cr2, rax
	ldmxcsr [rel mxcsr_default]
	ret

; void iso_save(struct iso_vector_state *out, unsigned features): what the registers hold now.
iso_save:
	mov r8, rdi
	mov r9d, esi
	pushfq
	pop qword [r8 + OFF_RFLAGS]
	mov rax, cr2
	mov [r8 + OFF_CR2], rax
	USABLE
	SAVE r8
	ret

section .rodata
mxcsr_default: dd 0x1f80
