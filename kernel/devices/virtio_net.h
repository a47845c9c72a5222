/*
 * A virtio network device (virtio 1.x, 5.1) on one of kan's virtual switches (vswitch.h):
 * one receive and one transmit queue, a MAC address, no offloads (the guest computes its own
 * checksums and segments). Frames the VM sends go to the switch inside the exit of its
 * notification; frames for it wait in its port's inbox until its own CPU next enters it
 * (virtio_net_poll) and copies them into its receive buffers.
 */
#ifndef KAN_KERNEL_DEVICES_VIRTIO_NET_H
#define KAN_KERNEL_DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/devices/virtio_mmio.h"
#include "kernel/devices/vswitch.h"

#define VIRTIO_ID_NET 1

struct virtio_net {
	struct virtio_mmio transport;
	uint8_t mac[6];
	struct vswitch_port port;
	uint8_t frame[VSWITCH_FRAME_MAX]; /* one frame on its way through kan */
};

void virtio_net_init(struct virtio_net *net, const uint8_t mac[6], const char *vm_name,
		     struct vq_memory mem);
/* On the VM's CPU: frames from the inbox into the receive queue while it has buffers. */
void virtio_net_poll(struct virtio_net *net);
/* Whether frames wait that the VM could take now (its receive queue has buffers): what
 * should wake it from HLT. Frames for a VM without buffers wait, and cost it nothing. */
bool virtio_net_ready_to_receive(const struct virtio_net *net);

#endif
