/*
 * CPUs whose VT-x holds kan's interrupts while the guest has RFLAGS.IF = 0.
 *
 * With external-interrupt exiting on, an interrupt for kan makes the guest exit whatever the
 * guest's IF says (SDM 25.2): that is how a line typed at kan's shell, or another CPU's
 * errand, reaches a CPU that runs a guest. Bochs 2.7's VT-x keeps the interrupt pending in
 * the LAPIC instead until the guest sets IF, and kan's own guests never do: there kan saw its
 * console only at slice ends (a guest alone on CPU 0 has a second), and the shell answered
 * seconds late.
 *
 * kan notices it: a slice that ended while the guest had IF = 0 and one of kan's
 * interrupts (vectors 32-63) waited in the LAPIC's IRR. A real CPU would have exited for it
 * at once; the interrupt can only have arrived in the few instructions since the exit, so kan
 * wants to see this three times. From then on the preemption timer also stops the guest every
 * HELD_POLL_US: kan takes its interrupts itself (interrupt_take_pending), and the guest runs
 * on, its slice unchanged, unless a handler wants the CPU (an errand, a line of input).
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "kernel/console.h"
#include "kernel/time.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_cpu.h"

#define HELD_POLL_US   10000
#define HELD_SIGHTINGS 3

bool vmx_interrupts_held;
uint64_t vmx_held_poll_tsc;
static unsigned sightings;

void vmx_held_interrupts_note(void)
{
	if ((vmcs_read(GUEST_RFLAGS) & RFLAGS_IF) || !lapic_requested(1))
		return;
	if (__atomic_add_fetch(&sightings, 1, __ATOMIC_RELAXED) != HELD_SIGHTINGS)
		return;
	vmx_held_poll_tsc = time_us_to_tsc(HELD_POLL_US);
	__atomic_store_n(&vmx_interrupts_held, true, __ATOMIC_RELEASE);
	printk("kan: vmx: this CPU holds kan's interrupts while a guest has IF=0 (an emulator's "
	       "VT-x: Bochs); kan takes them itself every %u ms of guest time\n",
	       HELD_POLL_US / 1000);
}
