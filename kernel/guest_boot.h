/* A guest's first moment: its image loaded and the entry state of kan_guest.h prepared. */
#ifndef KAN_KERNEL_GUEST_BOOT_H
#define KAN_KERNEL_GUEST_BOOT_H

#include <stddef.h>

#include "kernel/vcpu_backend.h"
#include "kernel/vm.h"

/* Loads `image` into the VM's (zeroed) RAM and fills `boot`. -1 with `error` on a bad image. */
int guest_boot_prepare(struct vm *vm, const void *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size);

#endif
