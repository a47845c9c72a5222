/* Host NMIs that arrive while a guest runs: kan's, never the guest's. */
#include "arch/x86_64/interrupts.h"
#include "vmx/exit.h"

#define BLOCKING_BY_NMI (1u << 3) /* guest interruptibility state (SDM Vol. 3C, 25.4.2) */

void vmx_nmi_taken(void)
{
	/* The exit saved "blocking by NMI" into the guest's state, and left NMIs blocked in kan
	 * until its next IRET. Neither is the guest's: kan gives guests no NMIs. kan's own
	 * handler then takes the NMI as it would have outside a guest (counted, port 0x61
	 * read), and its IRET ends the blocking; without that, the next NMIs would wait,
	 * latched, for kan's next idle. */
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
		   vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & ~BLOCKING_BY_NMI);
	nmi_reraise_from_guest();
}
