/*
 * The virtio fuzzer guest: drives kan's virtio-mmio devices (virtio 1.x, section 4.2.2) with
 * random register accesses, proper requests and the named attacks. Shared by its files.
 *
 * Its memory promise: the device is only ever handed guest-physical addresses inside the
 * scratch area below (or outside RAM), so whatever a device does with them, the fuzzer's code,
 * stack and page tables stay intact; the fuzzer checks that they did.
 */
#ifndef KAN_GUEST_VIRTIOFUZZ_H
#define KAN_GUEST_VIRTIOFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

/* Where kan puts a VM's virtio-mmio devices: the disk first (if any), then the network. */
#define VIRTIO_MMIO_BASE   0xfe000000ull
#define VIRTIO_MMIO_STRIDE 0x1000

/* The MMIO register layout, version 2 (4.2.2). */
#define VM_MAGIC	     0x000
#define VM_VERSION	     0x004
#define VM_DEVICE_ID	     0x008
#define VM_VENDOR_ID	     0x00c
#define VM_DEVICE_FEATURES   0x010
#define VM_DEVICE_FEAT_SEL   0x014
#define VM_DRIVER_FEATURES   0x020
#define VM_DRIVER_FEAT_SEL   0x024
#define VM_QUEUE_SEL	     0x030
#define VM_QUEUE_NUM_MAX     0x034
#define VM_QUEUE_NUM	     0x038
#define VM_QUEUE_READY	     0x044
#define VM_QUEUE_NOTIFY	     0x050
#define VM_INTERRUPT_STATUS  0x060
#define VM_INTERRUPT_ACK     0x064
#define VM_STATUS	     0x070
#define VM_QUEUE_DESC_LOW    0x080
#define VM_QUEUE_DESC_HIGH   0x084
#define VM_QUEUE_DRIVER_LOW  0x090
#define VM_QUEUE_DRIVER_HIGH 0x094
#define VM_QUEUE_DEVICE_LOW  0x0a0
#define VM_QUEUE_DEVICE_HIGH 0x0a4
#define VM_CONFIG_GENERATION 0x0fc
#define VM_CONFIG	     0x100

#define VIRTIO_MAGIC		0x74726976 /* "virt" */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_F_VERSION_1_HIGH 1 /* bit 32: bit 0 of the second feature word */
#define VIRTIO_F_INDIRECT_DESC	(1u << 28)

/* Device status bits (2.1). */
#define ST_ACKNOWLEDGE	      1
#define ST_DRIVER	      2
#define ST_DRIVER_OK	      4
#define ST_FEATURES_OK	      8
#define ST_DEVICE_NEEDS_RESET 0x40
#define ST_FAILED	      0x80

/* Split ring layout (2.7). */
#define DESC_F_NEXT	     1
#define DESC_F_WRITE	     2
#define DESC_F_INDIRECT	     4
#define AVAIL_F_NO_INTERRUPT 1
#define RING_MAX	     256 /* ring areas are laid out for this many entries */

/*
 * The scratch area: 1 MiB per device from 4 MiB (so the VM needs mem >= 8M; the image sits at
 * 1 MiB, the stack at the top of RAM). In each device's slot:
 */
#define SCRATCH_BASE   0x400000ull
#define SLOT_SIZE      0x100000ull
#define SLOT_QUEUE(q)  (0x4000ull * (q)) /* desc +0, avail +0x1000, used +0x2000 */
#define SLOT_INDIRECT  0x08000ull	 /* four indirect tables of 4 KiB */
#define SLOT_HEADERS   0x0c000ull	 /* request headers, status bytes: 16 bytes each */
#define SLOT_OUT_BUF   0x10000ull	 /* 64 KiB the device reads */
#define SLOT_IN_BUF    0x20000ull	 /* 64 KiB the device writes */
#define SLOT_USED_JUNK 0x80000ull	 /* 256 KiB: random used-ring addresses */
#define SLOT_READ_JUNK 0xc0000ull	 /* 256 KiB of 0xff: random desc/avail addresses */
#define JUNK_SIZE      0x40000ull
#define BUF_SIZE       0x10000ull
#define MAX_DEVICES    2
#define SCRATCH_END    (SCRATCH_BASE + MAX_DEVICES * SLOT_SIZE)

struct ring {
	uint16_t size; /* QueueNum as set; 0 when not set up */
	uint64_t desc, avail, used;
	uint16_t avail_idx; /* the driver's next avail->idx */
	uint16_t used_seen; /* used->idx as last consumed */
	uint16_t next_desc; /* where the next chain's descriptors go */
};

enum attack {
	A_LOOP,
	A_OUTSIDE_RAM,
	A_WRAP,
	A_QUEUE_NUM,
	A_INDIRECT_SELF,
	A_INDIRECT_NESTED,
	A_INDIRECT_NEXT,
	A_INDIRECT_BAD_LEN,
	A_AVAIL_JUMP,
	A_HEAD_BEYOND,
	A_NEXT_BEYOND,
	A_READ_AFTER_WRITE,
	A_LONG_CHAIN,
	A_RING_OUTSIDE,
	A_BAD_NOTIFY,
	A_OUT_OF_ORDER,
	A_STORM,
	A_COUNT
};

struct attack_count {
	uint32_t tries, needs_reset, completed;
};

struct vdev {
	const char *name; /* "disk" or "net" */
	uintptr_t regs;
	uint32_t device_id;
	unsigned queues;   /* 1 for block, 2 for net (receive, transmit) */
	uint64_t slot;	   /* its scratch slot */
	bool ready;	   /* initialized by the fuzzer and untouched by random writes since */
	bool indirect_ok;  /* VIRTIO_F_INDIRECT_DESC offered and taken */
	uint64_t capacity; /* block: 512-byte sectors */
	uint8_t mac[6];	   /* net */
	uint32_t queue_max[2];
	struct ring ring[2];
	uint64_t ops, inits, requests, resets_seen, register_ops;
	struct attack_count attacks[A_COUNT];
};

struct fuzz {
	uint64_t rng, ram_size, ops, op, violations;
	uint64_t storm_notifies, storm_every, xmm_kept;
	unsigned devices;
	struct vdev dev[MAX_DEVICES];
};

extern struct fuzz fz;

uint64_t fuzz_random(void);
uint64_t fuzz_below(uint64_t n);
void fuzz_violation(struct vdev *d, const char *what, uint64_t a, uint64_t b);

/* A 128-bit order-sensitive checksum computed in SSE registers: len a multiple of 16. */
typedef uint64_t xsum128 __attribute__((vector_size(16)));
xsum128 xmm_checksum(uint64_t gpa, uint64_t len);
/* The same over 64-bit words with `ignore` bits cleared (bits the CPU itself sets). */
xsum128 xmm_checksum_masked(uint64_t gpa, uint64_t len, uint64_t ignore);
bool xsum_equal(xsum128 a, xsum128 b);

/* driver.c: MMIO accesses (plain MOVs only) and the virtio driver's side. */
uint32_t mmio_read(uintptr_t addr, unsigned width);
void mmio_write(uintptr_t addr, unsigned width, uint32_t value);
uint32_t reg_read(const struct vdev *d, unsigned offset);
void reg_write(const struct vdev *d, unsigned offset, uint32_t value);
void dev_reset(struct vdev *d);
bool dev_check_needs_reset(struct vdev *d);
bool dev_begin(struct vdev *d); /* reset to FEATURES_OK */
bool dev_init(struct vdev *d);	/* then every queue, then DRIVER_OK */
struct ring *ring_prepare(struct vdev *d, unsigned q);
void ring_install(const struct vdev *d, unsigned q, uint32_t num);
void desc_put(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next);
void ring_offer(struct ring *r, uint16_t head);
void ring_publish(struct ring *r, uint16_t flags);
void dev_notify(const struct vdev *d, unsigned queue);
/* Waits (bounded) for the next used element: true with its id and length. */
bool ring_wait_used(struct vdev *d, struct ring *r, uint32_t *id, uint32_t *len);
void fill_bytes(uint64_t gpa, uint8_t value, uint64_t len);

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};
uint16_t chain_offer(struct vdev *d, struct ring *r, const struct seg *s, unsigned n,
		     bool indirect);
/* A proper request on a ready queue: false (a violation counted) unless it came back. */
bool chain_submit(struct vdev *d, unsigned queue, const struct seg *s, unsigned n, uint32_t *len);

/* requests.c: proper requests, each checked. */
void request_valid(struct vdev *d);
void block_out_in(struct vdev *d);
void net_transmit(struct vdev *d);

/* attacks.c */
void attack_run(struct vdev *d, enum attack a);
void attack_storm(struct vdev *d);
const char *attack_name(enum attack a);

#endif
