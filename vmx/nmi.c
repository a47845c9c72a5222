/* Host NMIs that arrive while a guest runs: kan's, never the guest's. */
#include "arch/x86_64/interrupts.h"
#include "vmx/exit.h"

#define BLOCKING_BY_NMI (1u << 3) /* guest interruptibility state (SDM Vol. 3C, 25.4.2) */

void vmx_nmi_taken(void)
{
	/* The exit saved "blocking by NMI" into the guest's state, and left NMIs blocked in kan
	 * until its next IRET. Neither is the guest's: kan gives guests no NMIs. Without this,
	 * the next NMIs wait, latched, for kan's next idle. */
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
		   vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & ~BLOCKING_BY_NMI);
	nmi_unblock();
}
