#include "vmx/selftest.h"
#include "kernel/console.h"
#include "kernel/selftest.h"
#include "vmx/vmcs.h"

/* RFLAGS bit 1 is reserved as 1; a guest RFLAGS without it fails the VM-entry checks on the
 * guest state (SDM Vol. 3C, 27.3.1.4), so the entry fails with exit reason 33. */
#define RFLAGS_RESERVED_1 (1ull << 1)

void vmx_selftest_spoil_entry(struct vcpu *vcpu, bool launched)
{
	static bool done; /* once per run, even if the VM is started again */
	if (done || launched || vcpu->vm->id != 1)
		return;
	done = true;
	uint64_t rflags = vmcs_read(GUEST_RFLAGS) & ~RFLAGS_RESERVED_1;
	printk("kan: selftest: vm %s: guest RFLAGS 0x%lx (bit 1 clear) written before its first "
	       "VM entry\n",
	       vcpu->vm->config.name, rflags);
	vmcs_write(GUEST_RFLAGS, rflags);
}
