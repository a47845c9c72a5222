/*
 * A virtio block device (virtio 1.x, 5.2) backed by a disk image in kan's memory: the
 * kind=disk module GRUB loaded. Writes change that memory, so they outlive the VM's reboot
 * and `vm restart`, for as long as kan runs; a read-only disk (disk=NAME:ro) offers
 * VIRTIO_BLK_F_RO and refuses writes. Requests are served at once, on the VM's own CPU,
 * inside the exit of the notification that brought them.
 */
#ifndef KAN_KERNEL_DEVICES_VIRTIO_BLK_H
#define KAN_KERNEL_DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/devices/virtio_mmio.h"

#define VIRTIO_ID_BLOCK 2
#define SECTOR_SIZE	512

struct virtio_blk {
	struct virtio_mmio transport;
	uint8_t *image; /* host pointer to the disk's bytes */
	uint64_t sectors;
	bool read_only;
	uint64_t reads, writes; /* requests of each kind */
};

/* A device on `image` (its size rounded down to whole sectors). */
void virtio_blk_init(struct virtio_blk *blk, uint8_t *image, uint64_t bytes, bool read_only,
		     const char *vm_name, struct vq_memory mem);

#endif
