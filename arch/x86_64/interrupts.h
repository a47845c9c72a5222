/* The interrupts kan takes for itself (its timer, its console UART), by vector. */
#ifndef KAN_ARCH_INTERRUPTS_H
#define KAN_ARCH_INTERRUPTS_H

#include <stdbool.h>
#include <stdint.h>

#define INTERRUPT_VECTOR_FIRST 0x20
#define INTERRUPT_VECTORS      16 /* handlers for 0x20-0x2f; every vector has a stub */

/* A handler returns true when the scheduler should look at this CPU's run queue now. */
typedef bool (*interrupt_handler_fn)(void);

void interrupt_register(uint8_t vector, interrupt_handler_fn handler);
/* Runs the handler for `vector` and ends the interrupt at the LAPIC; called from the IDT
 * stubs and, for interrupts that arrive while a guest runs, from the VM-exit handler.
 * Returns what the handler returned. */
bool interrupt_dispatch(uint8_t vector);
/* With interrupts off in kan: lets in those the LAPIC holds for this CPU (one instruction with
 * IF = 1) and says whether a handler among them wants the scheduler's attention. For a CPU
 * whose VT-x does not exit for them while the guest has IF = 0 (vmx/held_interrupts.c). */
bool interrupt_take_pending(void);

/* What kan does with an interrupt on `vector` (pure). */
enum interrupt_kind {
	INTERRUPT_LAPIC_SPURIOUS, /* the LAPIC's own spurious vector: nothing, no EOI */
	INTERRUPT_KAN,		  /* a registered handler, then the LAPIC's EOI */
	INTERRUPT_PIC,		  /* the 8259's range: spurious or not (its ISR says), counted */
	INTERRUPT_STRAY,	  /* nobody's: counted, EOI only if the LAPIC has it in service */
};
enum interrupt_kind interrupt_classify(uint8_t vector, bool has_handler);
/* Says once per vector that interrupts nobody handles arrive; from a CPU's scheduler loop,
 * like nmi_say_once. */
void interrupt_say_strays(unsigned cpu);
/* How many interrupts arrived with no handler (8259 ones included). */
uint64_t interrupt_stray_count(void);

/* NMIs that arrived on CPU `cpu` while kan (not a guest) ran there: kan sends none, so one
 * from outside (a watchdog, a button, a test) is counted and ignored. The handler also reads
 * port 0x61 for a platform source (SERR, IOCHK), clears it, and nmi_say_once reports it. */
uint64_t nmi_count_in_kan(unsigned cpu);
/* NMIs that arrived while a guest ran (a VM exit) and were handed to kan's own handler. */
uint64_t nmi_count_from_guests(unsigned cpu);
/* After a VM exit caused by an NMI: runs kan's NMI handler for it (INT 2), whose IRET also
 * ends the blocking of NMIs the exit left behind. The NMI is the host's, never the guest's. */
void nmi_reraise_from_guest(void);
/* Work for the NMI handler, which runs it after counting (selftest=ist-stack-overflow). */
void nmi_set_errand(void (*errand)(unsigned cpu));
/* At the machine's end every NMI, in kan or one that made a guest exit, runs `stop` (which does
 * not return) before anything else. */
void nmi_set_stop(void (*stop)(void));
/* For the backend's NMI exit: runs the stop handler if one is set, else returns. */
void nmi_stop_if_asked(void);
/* Ends the blocking of NMIs that an NMI-caused VM exit leaves behind (isr.asm: an IRET). */
void nmi_unblock(void);
/* Says once, for the whole run, that NMIs arrive; from a CPU's scheduler loop, never from the
 * NMI itself, which may have interrupted printk. */
void nmi_say_once(unsigned cpu);

#endif
