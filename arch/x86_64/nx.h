/*
 * Execute Disable (NX). Intel firmware can turn it off ("XD Bit Disable", IA32_MISC_ENABLE
 * bit 34): CPUID then hides NX, and setting EFER.NXE faults. kan clears that bit on every CPU
 * before it sets EFER.NXE, as Linux does; if the CPU refuses, kan runs without NX and its
 * page tables carry no NX bit (W^X is then only "text read-only").
 */
#ifndef KAN_ARCH_NX_H
#define KAN_ARCH_NX_H

#include <stdbool.h>
#include <stdint.h>

enum nx_state {
	NX_ON,	      /* as the firmware left it */
	NX_REENABLED, /* firmware had disabled it; kan cleared XD Bit Disable */
	NX_REFUSED,   /* firmware had disabled it, and the CPU refused to re-enable it */
	NX_ABSENT,    /* the CPU has none */
};

/* Self-test hooks, for emulators that ignore IA32_MISC_ENABLE (Bochs): act as if firmware had
 * set XD Bit Disable, which kan's WRMSR then clears or (LOCKED) cannot clear. */
enum nx_pretend { NX_PRETEND_NOTHING, NX_PRETEND_XD_DISABLED, NX_PRETEND_XD_LOCKED };
void nx_pretend(enum nx_pretend what);

/* The boot CPU, before its page tables are loaded: clears XD Bit Disable where it must, sets
 * EFER.NXE if NX is usable, says so in one line when firmware had disabled it. */
enum nx_state nx_enable(void);
bool nx_on(void);
/* What nx_enable found and did, for `kan check` (after it, the MSR reads as kan left it). */
enum nx_state nx_current(void);
/* ap_trampoline.asm's ap_trampoline_nx word: what each AP does before EFER.NXE. */
#define NX_AP_SET_NXE	 1u
#define NX_AP_CLEAR_XD	 2u /* Intel: clear XD Bit Disable if set (then check CPUID) */
#define NX_AP_PRETEND_XD 4u /* nx_pretend: take the bit as set */
uint32_t nx_ap_flags(void);

#endif
