/*
 * kan's virtual switches: Ethernet between the VMs whose NICs name the same switch (net=).
 * A learning switch: it notes which port each source address came from, sends a frame for a
 * known address to that port alone, and floods broadcasts, multicasts and unknown addresses
 * to every other port. Switches never connect to each other or to the machine's own NICs.
 *
 * Ports belong to NICs on different CPUs, so a frame crosses CPUs through the receiving
 * port's inbox: the sender copies it in (under the inbox's lock), and the receiver's own CPU
 * takes it out into its VM's RAM. A full inbox drops the frame, as a real switch would.
 */
#ifndef KAN_KERNEL_DEVICES_VSWITCH_H
#define KAN_KERNEL_DEVICES_VSWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/limits.h"
#include "kernel/spinlock.h"

#define VSWITCH_MAX	  8
#define VSWITCH_PORTS_MAX 8
#define VSWITCH_FRAME_MAX 1518 /* 1514 and a VLAN tag: no jumbo frames */
#define VSWITCH_FRAME_MIN 14   /* an Ethernet header */
#define VSWITCH_INBOX	  256  /* frames waiting for one port: a full queue of them */
#define VSWITCH_FDB	  64   /* addresses a switch remembers */

struct vswitch_frame {
	uint16_t len;
	uint8_t data[VSWITCH_FRAME_MAX];
};

struct vswitch;

struct vswitch_port {
	struct vswitch *sw;
	struct spinlock lock; /* the inbox */
	struct vswitch_frame *inbox;
	unsigned head, count;
	/* Called, on the sender's CPU, when the inbox was empty and now holds a frame. */
	void (*wake)(void *ctx);
	void *wake_ctx;
	uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped, tx_bytes, rx_bytes;
};

struct vswitch {
	char name[KAN_VM_NAME_MAX];
	struct spinlock lock; /* ports and addresses */
	struct vswitch_port *ports[VSWITCH_PORTS_MAX];
	struct {
		uint8_t mac[6];
		struct vswitch_port *port;
	} fdb[VSWITCH_FDB];
	unsigned fdb_next; /* the entry the next new address replaces, round robin */
};

/* The switch called `name`, made on first use; NULL when VSWITCH_MAX are in use. */
struct vswitch *vswitch_get(const char *name);
/* Puts `port` (its inbox of VSWITCH_INBOX frames given) on the switch; false, the port left as
 * it was, if the switch is full. */
bool vswitch_attach(struct vswitch *sw, struct vswitch_port *port, struct vswitch_frame *inbox);
/* Takes the port off its switch, and its address out of the switch's memory. */
void vswitch_detach(struct vswitch_port *port);
/* Sends one frame from `from` (VSWITCH_FRAME_MIN..VSWITCH_FRAME_MAX bytes, else dropped). */
void vswitch_send(struct vswitch_port *from, const uint8_t *frame, unsigned len);
/* The oldest frame in the port's inbox, copied out; false if it is empty. */
bool vswitch_receive(struct vswitch_port *port, uint8_t *frame, unsigned *len);
/* Whether frames wait in the inbox (no lock: a hint for the polling CPU). */
bool vswitch_pending(const struct vswitch_port *port);
/* Empties the inbox (the NIC was reset). */
void vswitch_flush(struct vswitch_port *port);

#endif
