/* A VM's I/O port space: port ranges mapped to the device models the VM owns. */
#ifndef KAN_KERNEL_IOBUS_H
#define KAN_KERNEL_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/spinlock.h"

#define IOBUS_MAX_DEVICES 12

/* A device's port handler; on a read it fills *value (size is 1, 2 or 4 bytes). */
typedef void (*io_handler_fn)(void *device, uint16_t port, unsigned size, bool write,
			      uint32_t *value);

struct io_range {
	uint16_t first, last;
	io_handler_fn handler;
	void *device;
};

#define IOBUS_UNOWNED_PORTS 6

/* A range's device behind a lock (iobus_lock_devices). */
struct io_locked {
	io_handler_fn handler;
	void *device;
	struct spinlock *lock;
};

struct iobus {
	struct io_range ranges[IOBUS_MAX_DEVICES];
	unsigned count;
	struct io_locked locked[IOBUS_MAX_DEVICES];
	uint64_t unowned_accesses;
	/* The first unowned ports the guest touched, and how often: what it probes for. */
	struct {
		uint16_t port;
		uint64_t accesses;
	} unowned[IOBUS_UNOWNED_PORTS];
};

bool iobus_register(struct iobus *bus, uint16_t first, uint16_t last, io_handler_fn handler,
		    void *device);
/* When several CPUs reach the bus's devices (a VM with several vCPUs): every range registered
 * so far takes `lock` around its handler, so that the single-CPU dispatch stays as it is. The
 * unowned-port counters are only counts, and stay unlocked. */
void iobus_lock_devices(struct iobus *bus, struct spinlock *lock);
/* Dispatches one port access; a port no device owns reads all-ones and ignores writes. */
void iobus_access(struct iobus *bus, uint16_t port, unsigned size, bool write, uint32_t *value);
/* What a port without hardware does (reads all-ones, ignores writes), counted as unowned:
 * for device models that own a range but not every access to it. */
void iobus_absent(struct iobus *bus, uint16_t port, unsigned size, bool write, uint32_t *value);

#endif
