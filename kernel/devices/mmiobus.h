/* A VM's memory-mapped I/O: guest-physical windows outside its RAM, each owned by a device
 * model. An access there leaves the guest (EPT violation, nested page fault); the backend
 * decodes the instruction (kernel/mmio.c) and the bus hands the access to its device. */
#ifndef KAN_KERNEL_DEVICES_MMIOBUS_H
#define KAN_KERNEL_DEVICES_MMIOBUS_H

#include <stdbool.h>
#include <stdint.h>

#define MMIOBUS_MAX_DEVICES 4

/* A device's handler: `offset` from its window's base; size 1, 2, 4 or 8 bytes; on a read
 * it fills *value. */
typedef void (*mmio_handler_fn)(void *device, uint64_t offset, unsigned size, bool write,
				uint64_t *value);

struct mmio_range {
	uint64_t base, size;
	mmio_handler_fn handler;
	void *device;
};

struct mmiobus {
	struct mmio_range ranges[MMIOBUS_MAX_DEVICES];
	unsigned count;
};

bool mmiobus_register(struct mmiobus *bus, uint64_t base, uint64_t size, mmio_handler_fn handler,
		      void *device);
/* The device whose window holds all of [gpa, gpa + size), or NULL. */
const struct mmio_range *mmiobus_find(const struct mmiobus *bus, uint64_t gpa, unsigned size);

#endif
