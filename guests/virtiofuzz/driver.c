/* The virtio fuzzer's driver side: MMIO accesses, device initialization (3.1.1), split rings. */
#include "virtiofuzz.h"

/* Plain MOVs of each width, spelled out: a volatile access in C may become any instruction
 * that touches memory, and kan decodes only MOVs there (kan_guest.h, DEVICES). The "memory"
 * clobber orders them with the fuzzer's writes to its rings. */
uint32_t mmio_read(uintptr_t addr, unsigned width)
{
	if (width == 1) {
		uint8_t v;
		__asm__ volatile("movb %1, %0"
				 : "=q"(v)
				 : "m"(*(volatile uint8_t *)addr)
				 : "memory");
		return v;
	}
	if (width == 2) {
		uint16_t v;
		__asm__ volatile("movw %1, %0"
				 : "=r"(v)
				 : "m"(*(volatile uint16_t *)addr)
				 : "memory");
		return v;
	}
	uint32_t v;
	__asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile uint32_t *)addr) : "memory");
	return v;
}

void mmio_write(uintptr_t addr, unsigned width, uint32_t value)
{
	if (width == 1)
		__asm__ volatile("movb %1, %0"
				 : "=m"(*(volatile uint8_t *)addr)
				 : "q"((uint8_t)value)
				 : "memory");
	else if (width == 2)
		__asm__ volatile("movw %1, %0"
				 : "=m"(*(volatile uint16_t *)addr)
				 : "r"((uint16_t)value)
				 : "memory");
	else
		__asm__ volatile("movl %1, %0"
				 : "=m"(*(volatile uint32_t *)addr)
				 : "r"(value)
				 : "memory");
}

uint32_t reg_read(const struct vdev *d, unsigned offset)
{
	return mmio_read(d->regs + offset, 4);
}

void reg_write(const struct vdev *d, unsigned offset, uint32_t value)
{
	mmio_write(d->regs + offset, 4, value);
}

/* Eight bytes a store where it can: long exit-free loops are what a timer must preempt. */
void fill_bytes(uint64_t gpa, uint8_t value, uint64_t len)
{
	uint64_t i = 0;
	if (gpa % 8 == 0)
		for (; i + 8 <= len; i += 8)
			*(volatile uint64_t *)(uintptr_t)(gpa + i) = 0x0101010101010101ull * value;
	for (; i < len; i++)
		*(volatile uint8_t *)(uintptr_t)(gpa + i) = value;
}

/* Writing 0 to Status resets the device; the driver then waits to read 0 back (4.2.3.1). */
void dev_reset(struct vdev *d)
{
	reg_write(d, VM_STATUS, 0);
	unsigned tries = 0;
	while (reg_read(d, VM_STATUS) != 0)
		if (++tries == 1000) {
			fuzz_violation(d, "Status not 0 after 1000 reads following a reset", 0, 0);
			break;
		}
	d->ready = false;
	for (unsigned q = 0; q < 2; q++)
		d->ring[q] = (struct ring){ 0 };
}

bool dev_check_needs_reset(struct vdev *d)
{
	if (!(reg_read(d, VM_STATUS) & ST_DEVICE_NEEDS_RESET))
		return false;
	d->resets_seen++;
	dev_reset(d);
	return true;
}

/* A power of two from 8 (a block request's chain fits) to the device's maximum. */
static uint16_t pick_queue_size(uint32_t max)
{
	if (max > RING_MAX)
		max = RING_MAX;
	unsigned top = 31 - (unsigned)__builtin_clz(max);
	unsigned low = top < 3 ? top : 3;
	return (uint16_t)(1u << (low + fuzz_below(top - low + 1)));
}

/* The queue's rings at their place in the slot, zeroed, with a proper size. */
struct ring *ring_prepare(struct vdev *d, unsigned q)
{
	struct ring *r = &d->ring[q];
	uint64_t base = d->slot + SLOT_QUEUE(q);
	*r = (struct ring){ .size = pick_queue_size(d->queue_max[q]),
			    .desc = base,
			    .avail = base + 0x1000,
			    .used = base + 0x2000 };
	fill_bytes(base, 0, 0x3000);
	return r;
}

/* Tells the device where queue q's rings are and with what QueueNum (the ring's own size
 * unless `num` says otherwise), and sets QueueReady. */
void ring_install(const struct vdev *d, unsigned q, uint32_t num)
{
	const struct ring *r = &d->ring[q];
	reg_write(d, VM_QUEUE_SEL, q);
	reg_write(d, VM_QUEUE_NUM, num);
	reg_write(d, VM_QUEUE_DESC_LOW, (uint32_t)r->desc);
	reg_write(d, VM_QUEUE_DESC_HIGH, (uint32_t)(r->desc >> 32));
	reg_write(d, VM_QUEUE_DRIVER_LOW, (uint32_t)r->avail);
	reg_write(d, VM_QUEUE_DRIVER_HIGH, (uint32_t)(r->avail >> 32));
	reg_write(d, VM_QUEUE_DEVICE_LOW, (uint32_t)r->used);
	reg_write(d, VM_QUEUE_DEVICE_HIGH, (uint32_t)(r->used >> 32));
	reg_write(d, VM_QUEUE_READY, 1);
}

static bool setup_queue(struct vdev *d, unsigned q)
{
	reg_write(d, VM_QUEUE_SEL, q);
	uint32_t max = reg_read(d, VM_QUEUE_NUM_MAX);
	if (max == 0 || reg_read(d, VM_QUEUE_READY)) {
		fuzz_violation(d, "QueueNumMax 0 or queue ready after reset: queue, max", q, max);
		return false;
	}
	d->queue_max[q] = max;
	struct ring *r = ring_prepare(d, q);
	ring_install(d, q, r->size);
	if (reg_read(d, VM_QUEUE_READY) != 1) {
		fuzz_violation(d, "a proper queue was not made ready: queue, size", q, r->size);
		return false;
	}
	return true;
}

/* The initialization of 3.1.1 up to FEATURES_OK, with VIRTIO_F_VERSION_1 (and indirect
 * descriptors where offered) the only features taken. */
bool dev_begin(struct vdev *d)
{
	dev_reset(d);
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE);
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
	reg_write(d, VM_DEVICE_FEAT_SEL, 1);
	uint32_t high = reg_read(d, VM_DEVICE_FEATURES);
	if (!(high & VIRTIO_F_VERSION_1_HIGH)) {
		fuzz_violation(d, "device does not offer VIRTIO_F_VERSION_1: features 63:32", high,
			       0);
		return false;
	}
	reg_write(d, VM_DEVICE_FEAT_SEL, 0);
	uint32_t low = reg_read(d, VM_DEVICE_FEATURES);
	d->indirect_ok = low & VIRTIO_F_INDIRECT_DESC;
	reg_write(d, VM_DRIVER_FEAT_SEL, 0);
	reg_write(d, VM_DRIVER_FEATURES, low & VIRTIO_F_INDIRECT_DESC);
	reg_write(d, VM_DRIVER_FEAT_SEL, 1);
	reg_write(d, VM_DRIVER_FEATURES, VIRTIO_F_VERSION_1_HIGH);
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
	uint32_t status = reg_read(d, VM_STATUS);
	if (!(status & ST_FEATURES_OK)) {
		fuzz_violation(d, "FEATURES_OK refused for VERSION_1 alone: status", status, 0);
		return false;
	}
	return true;
}

bool dev_init(struct vdev *d)
{
	d->inits++;
	if (!dev_begin(d))
		return false;
	for (unsigned q = 0; q < d->queues; q++)
		if (!setup_queue(d, q))
			return false;
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	d->ready = true;
	return true;
}

void desc_put(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(table + 16 * (uint64_t)i);
	*(volatile uint64_t *)p = addr;
	*(volatile uint32_t *)(p + 8) = len;
	*(volatile uint16_t *)(p + 12) = flags;
	*(volatile uint16_t *)(p + 14) = next;
}

/* Puts a head in the next avail slot without publishing it. */
void ring_offer(struct ring *r, uint16_t head)
{
	uint16_t slot = (uint16_t)(r->avail_idx & (r->size - 1));
	*(volatile uint16_t *)(uintptr_t)(r->avail + 4 + 2 * (uint64_t)slot) = head;
	r->avail_idx++;
}

/* Publishes everything offered: avail->idx after the entries (2.7.13). */
void ring_publish(struct ring *r, uint16_t flags)
{
	*(volatile uint16_t *)(uintptr_t)r->avail = flags;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*(volatile uint16_t *)(uintptr_t)(r->avail + 2) = r->avail_idx;
}

void dev_notify(const struct vdev *d, unsigned queue)
{
	reg_write(d, VM_QUEUE_NOTIFY, queue);
}

/* kan may answer a notify at once or later: poll used->idx, yielding between looks. */
bool ring_wait_used(struct vdev *d, struct ring *r, uint32_t *id, uint32_t *len)
{
	bool wants_interrupt = !(*(volatile uint16_t *)(uintptr_t)r->avail & AVAIL_F_NO_INTERRUPT);
	volatile uint16_t *used_idx = (volatile uint16_t *)(uintptr_t)(r->used + 2);
	for (unsigned tries = 0; *used_idx == r->used_seen; tries++) {
		if (tries == 100)
			return false;
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint16_t slot = (uint16_t)(r->used_seen & (r->size - 1));
	volatile uint32_t *elem =
		(volatile uint32_t *)(uintptr_t)(r->used + 4 + 8 * (uint64_t)slot);
	*id = elem[0];
	*len = elem[1];
	r->used_seen++;
	uint32_t isr = reg_read(d, VM_INTERRUPT_STATUS);
	if (wants_interrupt && !(isr & 1))
		fuzz_violation(d, "a used buffer without InterruptStatus bit 0: status, used idx",
			       isr, r->used_seen);
	if (isr)
		reg_write(d, VM_INTERRUPT_ACK, isr);
	return true;
}

/* Writes the chain into the queue's table (or an indirect table) and offers it; the head. */
uint16_t chain_offer(struct vdev *d, struct ring *r, const struct seg *s, unsigned n, bool indirect)
{
	uint16_t head = (uint16_t)(r->next_desc & (r->size - 1));
	r->next_desc = (uint16_t)(r->next_desc + (indirect ? 1 : n));
	if (indirect) {
		uint64_t table = d->slot + SLOT_INDIRECT;
		for (unsigned i = 0; i < n; i++)
			desc_put(table, i, s[i].gpa, s[i].len,
				 (s[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0),
				 (uint16_t)(i + 1));
		desc_put(r->desc, head, table, 16 * n, DESC_F_INDIRECT, 0);
	} else {
		for (unsigned i = 0; i < n; i++) {
			uint16_t at = (uint16_t)((head + i) & (r->size - 1));
			uint16_t next = (uint16_t)((at + 1) & (r->size - 1));
			desc_put(r->desc, at, s[i].gpa, s[i].len,
				 (s[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0),
				 next);
		}
	}
	ring_offer(r, head);
	return head;
}

/* One request start to end: offered, published, notified, and its used element checked. */
bool chain_submit(struct vdev *d, unsigned queue, const struct seg *s, unsigned n, uint32_t *len)
{
	struct ring *r = &d->ring[queue];
	bool indirect = d->indirect_ok && (n > r->size || fuzz_below(3) == 0);
	if (n > r->size && !indirect)
		return false;
	uint16_t head = chain_offer(d, r, s, n, indirect);
	ring_publish(r, fuzz_below(4) == 0 ? AVAIL_F_NO_INTERRUPT : 0);
	dev_notify(d, queue);
	uint32_t id;
	if (!ring_wait_used(d, r, &id, len)) {
		fuzz_violation(d, "a proper request never came back: queue, head", queue, head);
		return false;
	}
	uint64_t writable = 0;
	for (unsigned i = 0; i < n; i++)
		writable += s[i].write ? s[i].len : 0;
	if (id != head || *len > writable) {
		fuzz_violation(d, "used element wrong: id (want the head), len", id, *len);
		return false;
	}
	d->requests++;
	return true;
}
