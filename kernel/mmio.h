/* A guest's access to device memory (MMIO), emulated: the hardware says where the guest
 * reached (an EPT violation, a nested page fault) but not how, so kan reads and decodes the
 * instruction, performs it against the device, and the backend steps past it. */
#ifndef KAN_KERNEL_MMIO_H
#define KAN_KERNEL_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/guest_walk.h"
#include "kernel/vm.h"

enum mmio_outcome {
	MMIO_NOT_DEVICE, /* no device there: the access is a fault, as before */
	MMIO_DONE,	 /* emulated: step past *length bytes of instruction */
	MMIO_REFUSED,	 /* a device, but an instruction kan does not emulate: *why says */
};

/* Whether the VM has device memory at all (virtio windows, local APIC pages). */
static inline bool vm_has_mmio(const struct vm *vm)
{
	return vm->devices.count || vm->has_lapic;
}

/* `p`, `cs_base`, `rip` and `cs_long` as for guest_fetch_insn; `gpa` where the access went. */
enum mmio_outcome vm_mmio_emulate(struct vcpu *vcpu, const struct guest_paging *p, uint64_t cs_base,
				  uint64_t rip, bool cs_long, uint64_t gpa, unsigned *length,
				  const char **why);

#endif
