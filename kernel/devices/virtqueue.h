/*
 * Split virtqueues (virtio 1.x, section 2.7), the device's side: kan reads the driver's rings
 * in guest RAM and trusts none of it. Every index, address, length and flag the guest wrote is
 * checked before it is used; anything malformed makes vq_pop say VQ_BROKEN with a reason, and
 * the device model then stops using the queue (DEVICE_NEEDS_RESET). Pure: guest memory is
 * reached only through a callback, which kan points at the VM's RAM.
 */
#ifndef KAN_KERNEL_DEVICES_VIRTQUEUE_H
#define KAN_KERNEL_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VQ_SIZE_MAX  256 /* the largest QueueNum kan offers (QueueNumMax) */
#define VQ_CHAIN_MAX 64	 /* segments in one chain, indirect ones included */

/* The descriptor flags (2.7.5). */
#define VQ_DESC_F_NEXT		1
#define VQ_DESC_F_WRITE		2
#define VQ_DESC_F_INDIRECT	4
#define VQ_AVAIL_F_NO_INTERRUPT 1

struct vq_memory {
	/* Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte of it lies
	 * outside the VM's RAM (len 0 included: then gpa itself must be in RAM). */
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
};

struct virtqueue {
	uint16_t size;		    /* QueueNum: a power of two, 1..VQ_SIZE_MAX */
	uint64_t desc, avail, used; /* guest-physical addresses of the three areas */
	uint16_t next_avail;	    /* the next avail->ring entry kan takes */
	uint16_t next_used;	    /* used->idx as kan last wrote it */
};

struct vq_segment {
	uint64_t gpa;
	uint32_t len;
	bool device_writes; /* VQ_DESC_F_WRITE: the device writes it, else it reads it */
};

/* One request: its descriptors, flattened (an indirect table's entries in place). The
 * readable segments all come before the writable ones (the spec's rule, checked). */
struct vq_chain {
	uint16_t head; /* the first descriptor's index: what vq_push returns */
	unsigned count;
	struct vq_segment seg[VQ_CHAIN_MAX];
	uint64_t readable, writable; /* bytes of each kind */
};

enum vq_pop_result { VQ_EMPTY, VQ_GOT_CHAIN, VQ_BROKEN };

/* Whether the size is valid and the three areas (their lengths follow from `size`, with the
 * alignment 2.7 asks for: desc 16, avail 2, used 4) lie in RAM; false with *why if not. The
 * device calls it when the driver sets QueueReady. */
bool vq_check_layout(const struct virtqueue *vq, const struct vq_memory *mem, const char **why);

/*
 * Takes the next available chain into *out. VQ_EMPTY when the driver has offered nothing
 * new. VQ_BROKEN, with *why a short phrase naming the fault ("descriptor loop", "avail index
 * 300 ahead of a queue of 256", ...), when any of these is found: an avail index more than
 * `size` ahead, a head or next index >= size, a chain longer than `size` descriptors (a loop),
 * more than VQ_CHAIN_MAX segments, a segment that wraps or leaves RAM, a readable segment
 * after a writable one, INDIRECT together with NEXT, an indirect table that is empty, not a
 * multiple of 16 bytes, larger than VQ_SIZE_MAX entries, outside RAM, or holding another
 * INDIRECT, or a second indirect table in one chain. The areas it reads are re-checked on
 * each call.
 */
enum vq_pop_result vq_pop(struct virtqueue *vq, const struct vq_memory *mem, struct vq_chain *out,
			  const char **why);

/* Returns chain `head` to the driver, with `written` bytes written into its writable part:
 * the used element, then (after a write barrier) used->idx. False with *why if the used ring
 * is no longer in RAM. */
bool vq_push(struct virtqueue *vq, const struct vq_memory *mem, uint16_t head, uint32_t written,
	     const char **why);

/* Whether the driver has offered a chain kan has not taken yet (a hint: vq_pop decides). */
bool vq_has_available(const struct virtqueue *vq, const struct vq_memory *mem);

/* Whether the driver asks for an interrupt (avail->flags has no VQ_AVAIL_F_NO_INTERRUPT). */
bool vq_wants_interrupt(const struct virtqueue *vq, const struct vq_memory *mem);

/* Copies between a chain and a buffer: from the readable part (vq_read) or into the writable
 * part (vq_write), starting `offset` bytes into that part. Returns the bytes copied, fewer
 * than `len` where the part ends. */
uint64_t vq_read(const struct vq_chain *chain, const struct vq_memory *mem, uint64_t offset,
		 void *buf, uint64_t len);
uint64_t vq_write(const struct vq_chain *chain, const struct vq_memory *mem, uint64_t offset,
		  const void *buf, uint64_t len);

#endif
