/*
 * Machine checks (SDM Vol. 3B, chapter 16): CR4.MCE on every CPU, the banks' leftover errors
 * logged and cleared at boot, and a #MC handler on its own IST stack that says which CPU and
 * what the banks hold. A #MC that arrives while a guest runs (a VM exit) is the host's: it is
 * handed to the same handler, never blamed on the guest.
 */
#ifndef KAN_ARCH_MCE_H
#define KAN_ARCH_MCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* On each CPU once, after its IDT and before any guest. Says on cpu 0 what it found. */
void mce_cpu_init(unsigned cpu);
/* The #MC handler (exceptions.c): reports, then ends the run unless the error was corrected
 * and the interrupted code can go on. */
void machine_check_handle(unsigned cpu, uint64_t rip);
/* After a VM exit for a #MC (exception bitmap bit 18, or exit reason 41 "VM-entry failure due
 * to machine-check event"): runs the handler (INT 18), which says a guest was running. */
void mce_reraise_from_guest(void);

/* Pure, unit-tested (tests/unit/test_mce.c). */
#define MCG_STATUS_RIPV	 (1ull << 0) /* the interrupted code may go on */
#define MCG_STATUS_EIPV	 (1ull << 1) /* RIP points at the instruction that caused it */
#define MCG_STATUS_MCIP	 (1ull << 2) /* a machine check is in progress */
#define MCI_STATUS_VAL	 (1ull << 63)
#define MCI_STATUS_OVER	 (1ull << 62) /* an earlier error was lost */
#define MCI_STATUS_UC	 (1ull << 61) /* uncorrected */
#define MCI_STATUS_EN	 (1ull << 60) /* reporting of this error was enabled: it signalled #MC */
#define MCI_STATUS_MISCV (1ull << 59)
#define MCI_STATUS_ADDRV (1ull << 58)
#define MCI_STATUS_PCC	 (1ull << 57) /* the processor context is corrupt */
#define MCI_STATUS_S	 (1ull << 56) /* software recoverable action: signalled */
#define MCI_STATUS_AR	 (1ull << 55) /* ... action required */

/* True when kan must stop: no restart point (RIPV clear), a corrupt context, or an
 * uncorrected error that signalled the #MC. A corrected error in a bank (UC clear) is not. */
bool mce_fatal(uint64_t mcg_status, const uint64_t *bank_status, unsigned banks);
/* One bank's status in words: "uncorrected, enabled, context corrupt, MCA error code 0x150,
 * model-specific 0x0". */
void mce_describe(uint64_t status, char *out, size_t size);

#endif
