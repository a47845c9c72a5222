#include "kernel/devices/mmiobus.h"

#include <stddef.h>

bool mmiobus_register(struct mmiobus *bus, uint64_t base, uint64_t size, mmio_handler_fn handler,
		      void *device)
{
	if (bus->count == MMIOBUS_MAX_DEVICES)
		return false;
	bus->ranges[bus->count++] = (struct mmio_range){ base, size, handler, device };
	return true;
}

const struct mmio_range *mmiobus_find(const struct mmiobus *bus, uint64_t gpa, unsigned size)
{
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_range *r = &bus->ranges[i];
		if (gpa >= r->base && gpa - r->base < r->size && size <= r->size - (gpa - r->base))
			return r;
	}
	return NULL;
}
