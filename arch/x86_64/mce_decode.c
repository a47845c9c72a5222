/* The pure half of arch/x86_64/mce.c: what a machine check's registers mean. */
#include "arch/x86_64/mce.h"
#include "kernel/format.h"

bool mce_fatal(uint64_t mcg_status, const uint64_t *bank_status, unsigned banks)
{
	if (!(mcg_status & MCG_STATUS_RIPV))
		return true;
	for (unsigned i = 0; i < banks; i++) {
		uint64_t s = bank_status[i];
		if (!(s & MCI_STATUS_VAL))
			continue;
		if (s & MCI_STATUS_PCC)
			return true;
		/* kan has no recovery for an uncorrected error it was told about (not even the
		 * recoverable SRAR/SRAO kinds, which need pages taken out of service). */
		if ((s & MCI_STATUS_UC) && (s & MCI_STATUS_EN))
			return true;
	}
	return false;
}

void mce_describe(uint64_t status, char *out, size_t size)
{
	ksnprintf(out, size, "%s%s%s%s%s%sMCA error code 0x%lx, model-specific 0x%lx",
		  status & MCI_STATUS_UC ? "uncorrected, " : "corrected, ",
		  status & MCI_STATUS_EN ? "enabled, " : "",
		  status & MCI_STATUS_PCC ? "context corrupt, " : "",
		  status & MCI_STATUS_OVER ? "overflowed (an error was lost), " : "",
		  status & MCI_STATUS_S
			  ? (status & MCI_STATUS_AR ? "action required, " : "action optional, ")
			  : "",
		  status & MCI_STATUS_ADDRV ? "with address, " : "", status & 0xffff,
		  (status >> 16) & 0xffff);
}
