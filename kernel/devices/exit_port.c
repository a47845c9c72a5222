#include "kernel/devices/exit_port.h"
#include "kernel/vm.h"

void exit_port_io(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	(void)port;
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	if (!write) {
		*value = mask;
		return;
	}
	/* The value itself, not QEMU's (value << 1) | 1: kan reports a VM's status as given. */
	vm_exit(device, *value & mask);
}
