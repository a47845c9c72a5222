/*
 * Hostile: installs a working IDT and shows exceptions are survivable (which also tests the
 * guest library's guest_try and GUEST_TRY_ASM), then loads an empty IDT and faults, which the
 * CPU turns into a triple fault. kan must stop only this VM.
 */
#include "guest.h"

static void undefined_opcode(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

/* A guest_try inside a guest_try: the inner one catches #UD, the outer one the int3 after. */
static void nested(void *inner_vector)
{
	*(int *)inner_vector = guest_try(undefined_opcode, 0);
	__asm__ volatile("int3");
}

int64_t guest_main(const struct kan_start_info *info)
{
	(void)info;
	guest_trap_install();
	int inner = GUEST_NO_TRAP;
	int outer = guest_try(nested, &inner);
	int guarded = GUEST_TRY_ASM("ud2", : : : "memory");
	int works = inner == 6 && outer == 3 && guarded == 6 && guest_trap_counts[6] == 2 &&
		    guest_trap_counts[3] == 1;
	guest_printf("triple-fault: with my IDT, guest_try caught %s inside and %s outside, "
		     "GUEST_TRY_ASM caught %s: %s\n",
		     guest_vector_name(inner), guest_vector_name(outer), guest_vector_name(guarded),
		     works ? "survived" : "LIBRARY BROKEN");
	guest_printf("triple-fault: loading an empty IDT and executing ud2: kan must stop me "
		     "(triple fault)\n");
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" ::"m"(empty) : "memory");
	guest_printf("triple-fault: STILL RUNNING after the triple fault\n");
	return 1;
}
