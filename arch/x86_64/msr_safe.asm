; A WRMSR that may fault: for guest-controlled values written in root mode. If the CPU
; rejects the value with #GP, kan's #GP handler (exceptions.c) resumes at wrmsr_safe_fixup,
; and the caller turns the failure into the guest's own #GP instead of a crash of kan.

global wrmsr_safe
global wrmsr_safe_insn
global wrmsr_safe_fixup

section .text
bits 64

; bool wrmsr_safe(uint32_t msr /* edi */, uint64_t value /* rsi */)
wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
wrmsr_safe_insn:
	wrmsr
	mov eax, 1
	ret
wrmsr_safe_fixup:
	xor eax, eax
	ret
