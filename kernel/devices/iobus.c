#include "kernel/devices/iobus.h"

bool iobus_register(struct iobus *bus, uint16_t first, uint16_t last, io_handler_fn handler,
		    void *device)
{
	if (bus->count == IOBUS_MAX_DEVICES)
		return false;
	bus->ranges[bus->count++] = (struct io_range){ first, last, handler, device };
	return true;
}

static void locked_handler(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct io_locked *l = device;
	spin_lock(l->lock);
	l->handler(l->device, port, size, write, value);
	spin_unlock(l->lock);
}

void iobus_lock_devices(struct iobus *bus, struct spinlock *lock)
{
	for (unsigned i = 0; i < bus->count; i++) {
		struct io_range *r = &bus->ranges[i];
		if (r->handler == locked_handler)
			continue;
		bus->locked[i] = (struct io_locked){ r->handler, r->device, lock };
		r->handler = locked_handler;
		r->device = &bus->locked[i];
	}
}

void iobus_access(struct iobus *bus, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	for (unsigned i = 0; i < bus->count; i++) {
		struct io_range *r = &bus->ranges[i];
		if (port >= r->first && port <= r->last) {
			r->handler(r->device, port, size, write, value);
			return;
		}
	}
	iobus_absent(bus, port, size, write, value);
}

void iobus_absent(struct iobus *bus, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	bus->unowned_accesses++;
	for (unsigned i = 0; i < IOBUS_UNOWNED_PORTS; i++) {
		if (!bus->unowned[i].accesses)
			bus->unowned[i].port = port;
		if (bus->unowned[i].port == port) {
			bus->unowned[i].accesses++;
			break;
		}
	}
	if (!write)
		*value = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}
