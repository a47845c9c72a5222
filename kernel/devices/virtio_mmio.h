/*
 * The virtio-mmio transport (virtio 1.x, section 4.2, register layout version 2): one 4 KiB
 * window of registers per device, shared by every device model (virtio_blk.c, virtio_net.c).
 * The transport keeps the device status, feature negotiation and the queues' addresses; a
 * model supplies its ID, features, configuration space and what a notification does.
 *
 * A driver that breaks the rules (a queue outside its RAM, a malformed descriptor chain)
 * breaks only its own device: kan sets DEVICE_NEEDS_RESET, raises a configuration-change
 * interrupt, says why once, and ignores the device's queues until the driver resets it.
 */
#ifndef KAN_KERNEL_DEVICES_VIRTIO_MMIO_H
#define KAN_KERNEL_DEVICES_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/devices/virtqueue.h"

#define VIRTIO_MMIO_SIZE       0x1000
#define VIRTIO_QUEUES_MAX      2
#define VIRTIO_F_RING_INDIRECT 28
#define VIRTIO_F_VERSION_1     32

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1
#define VIRTIO_STATUS_DRIVER		 2
#define VIRTIO_STATUS_DRIVER_OK		 4
#define VIRTIO_STATUS_FEATURES_OK	 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED		 0x80

/* InterruptStatus bits. */
#define VIRTIO_INT_USED	  1
#define VIRTIO_INT_CONFIG 2

struct virtio_mmio;

struct virtio_model {
	const char *kind; /* "disk", "net": for messages */
	uint32_t device_id;
	uint64_t features; /* besides VERSION_1 and RING_INDIRECT, which every kan device has */
	unsigned queues;
	/* A read of the configuration space (offset from 0x100); unset bytes read 0. */
	void (*config_read)(struct virtio_mmio *t, unsigned offset, unsigned size, uint64_t *value);
	/* The driver notified queue `q` (ready, and the device is live). */
	void (*notify)(struct virtio_mmio *t, unsigned q);
	/* The driver reset the device (status 0), or kan reset the VM. May be NULL. */
	void (*reset)(struct virtio_mmio *t);
};

#define VIRTIO_FAILURES_SHOWN 3 /* DEVICE_NEEDS_RESET messages per device, then counted */

struct virtio_stats {
	uint64_t requests, bytes_in, bytes_out, errors, notifies, interrupts;
	uint64_t failures; /* times the device needed a reset */
};

struct virtio_mmio {
	const struct virtio_model *model;
	void *device; /* the model's own state */
	const char *vm_name;
	struct vq_memory mem; /* the VM's RAM */
	/* Raises the device's interrupt line (NULL: the VM has no interrupt controller). */
	void (*raise_irq)(void *ctx, unsigned irq);
	void *irq_ctx;
	unsigned irq;

	uint32_t status, interrupt_status, config_generation;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	struct virtqueue vq[VIRTIO_QUEUES_MAX];
	bool queue_ready[VIRTIO_QUEUES_MAX];
	struct virtio_stats stats;
	char broken[96]; /* why the device needs a reset; "" while it is fine */
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_model *model, void *device,
		      const char *vm_name, struct vq_memory mem);
/* Back to the state after power-on (the VM's reset; the driver's status 0 also does it). */
void virtio_mmio_reset(struct virtio_mmio *t);
/* The driver's view of `from` (status, features, queues, interrupt status) into `to`, whose
 * model, backing and wiring stay: a snapshot's restore. Requests are served at the driver's
 * notify, so none is ever half done. */
void virtio_mmio_copy_state(struct virtio_mmio *to, const struct virtio_mmio *from);
/* The register window's handler, for the VM's MMIO bus. */
void virtio_mmio_access(void *t, uint64_t offset, unsigned size, bool write, uint64_t *value);
/* Whether queue `q` may be used: the driver said DRIVER_OK, the queue is ready, and the
 * device is not broken. */
bool virtio_queue_live(const struct virtio_mmio *t, unsigned q);
/* Used buffers are there: InterruptStatus bit 0, and an interrupt if it was clear. */
void virtio_mmio_interrupt(struct virtio_mmio *t);
/* After a device served queue `vq`: DEVICE_NEEDS_RESET if it found the queue broken (`result`
 * VQ_BROKEN, `why`), and an interrupt if it used buffers and the driver wants one. */
void virtio_mmio_served(struct virtio_mmio *t, struct virtqueue *vq, enum vq_pop_result result,
			const char *why, bool used);
/* The driver broke a rule: DEVICE_NEEDS_RESET, a configuration interrupt, one message. */
void virtio_mmio_fail(struct virtio_mmio *t, const char *why);

#endif
