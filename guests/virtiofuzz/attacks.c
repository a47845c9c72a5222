/*
 * The virtio fuzzer's named attacks, each on a freshly initialized device: malformed chains,
 * rings and queue sizes, out-of-order initialization, notification storms. Each counts whether
 * the device then reported DEVICE_NEEDS_RESET and whether it handed the chain back anyway.
 * Writable segments only ever name the slot's IN buffer or addresses outside RAM.
 */
#include "virtiofuzz.h"

static const char *const names[A_COUNT] = {
	[A_LOOP] = "descriptor-loop",
	[A_OUTSIDE_RAM] = "outside-ram",
	[A_WRAP] = "length-wrap",
	[A_QUEUE_NUM] = "queue-num",
	[A_INDIRECT_SELF] = "indirect-self",
	[A_INDIRECT_NESTED] = "indirect-nested",
	[A_INDIRECT_NEXT] = "indirect-and-next",
	[A_INDIRECT_BAD_LEN] = "indirect-bad-length",
	[A_AVAIL_JUMP] = "avail-jump",
	[A_HEAD_BEYOND] = "head-beyond",
	[A_NEXT_BEYOND] = "next-beyond",
	[A_READ_AFTER_WRITE] = "read-after-write",
	[A_LONG_CHAIN] = "long-chain",
	[A_RING_OUTSIDE] = "ring-outside",
	[A_BAD_NOTIFY] = "bad-notify",
	[A_OUT_OF_ORDER] = "out-of-order-init",
	[A_STORM] = "notify-storm",
};

const char *attack_name(enum attack a)
{
	return names[a];
}

/* Whole segments outside RAM, for the device to write: far above, the MMIO hole, 4 GiB. */
static uint64_t outside_ram(void)
{
	static const uint64_t far[] = { 0x7fff0000000ull, VIRTIO_MMIO_BASE, 0x100000000ull,
					1ull << 52 };
	uint64_t r = fuzz_below(5);
	return r < 4 ? far[r] : fz.ram_size + 0x1000 * fuzz_below(16);
}

static unsigned request_queue(const struct vdev *d)
{
	return d->device_id == VIRTIO_ID_NET ? 1 : 0;
}

/* A proper request's segments: a block IN of one sector, or a transmitted frame. */
static unsigned proper_segments(const struct vdev *d, struct seg *s)
{
	uint64_t hdr = d->slot + SLOT_HEADERS + 0x100;
	if (d->device_id == VIRTIO_ID_NET) {
		fill_bytes(hdr, 0, 12 + 60);
		s[0] = (struct seg){ hdr, 12, false };
		s[1] = (struct seg){ hdr + 16, 60, false };
		return 2;
	}
	fill_bytes(hdr, 0, 16);
	s[0] = (struct seg){ hdr, 16, false };
	s[1] = (struct seg){ d->slot + SLOT_IN_BUF, 512, true };
	s[2] = (struct seg){ hdr + 16, 1, true };
	return 3;
}

/* Puts segments in the queue's table from `at`, linked in order; the last without NEXT. */
static void put_linked(const struct ring *r, unsigned at, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned here = (at + i) & (r->size - 1u);
		desc_put(r->desc, here, s[i].gpa, s[i].len,
			 (s[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0),
			 (uint16_t)((here + 1) & (r->size - 1u)));
	}
}

static void put_table(uint64_t table, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		desc_put(table, i, s[i].gpa, s[i].len,
			 (s[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
}

/* Offers head 0 of the table, publishes and notifies. */
static void offer_head(struct vdev *d, unsigned q, uint16_t head)
{
	struct ring *r = &d->ring[q];
	ring_offer(r, head);
	ring_publish(r, 0);
	dev_notify(d, q);
}

/* A chain that comes back to one of its own descriptors. */
static void attack_loop(struct vdev *d, unsigned q)
{
	struct ring *r = &d->ring[q];
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	put_linked(r, 0, s, n);
	unsigned last = (n - 1) & (r->size - 1u);
	desc_put(r->desc, last, s[n - 1].gpa, s[n - 1].len,
		 DESC_F_NEXT | (s[n - 1].write ? DESC_F_WRITE : 0), (uint16_t)fuzz_below(last + 1));
	offer_head(d, q, 0);
}

/* A proper chain with one segment moved outside RAM, or wrapping past 2^64. */
static void attack_bad_segment(struct vdev *d, unsigned q, bool wrap)
{
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	unsigned i = (unsigned)fuzz_below(n);
	if (wrap) {
		s[i].gpa = 0xfffffffffffff000ull + 16 * fuzz_below(0x100);
		s[i].len = 0x1000 + (uint32_t)fuzz_below(0xfffff000u);
	} else if (!s[i].write && fuzz_below(2)) {
		s[i].gpa = fz.ram_size - 8; /* straddles the end: only ever read */
		s[i].len = 16 + (uint32_t)fuzz_below(0x1000);
	} else {
		s[i].gpa = outside_ram();
	}
	if (fuzz_below(4) == 0 && !s[i].write)
		s[i] = (struct seg){ d->slot + SLOT_OUT_BUF, 0xffffffffu, false }; /* past RAM */
	put_linked(&d->ring[q], 0, s, n);
	offer_head(d, q, 0);
}

static void attack_indirect(struct vdev *d, unsigned q, enum attack a)
{
	struct ring *r = &d->ring[q];
	uint64_t table = d->slot + SLOT_INDIRECT, table2 = table + 0x1000;
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	put_table(table, s, n);
	uint32_t len = 16 * n;
	uint16_t flags = DESC_F_INDIRECT;
	if (a == A_INDIRECT_SELF) {
		unsigned at = (unsigned)fuzz_below(n);
		desc_put(table, at, table, len, DESC_F_INDIRECT, 0);
	} else if (a == A_INDIRECT_NESTED) {
		put_table(table2, s, n);
		desc_put(table, n - 1, table2, len, DESC_F_INDIRECT, 0);
	} else if (a == A_INDIRECT_NEXT) {
		flags |= DESC_F_NEXT;
		put_linked(r, 1, s, n);
	} else {
		static const uint32_t bad[] = { 0, 8, 24, 16 * 257, 0xfffffff0u, 16 * 4096 };
		len = bad[fuzz_below(6)];
	}
	desc_put(r->desc, 0, table, len, flags, 1);
	offer_head(d, q, 0);
}

/* avail->idx more than the queue size ahead of what the device has taken. */
static void attack_avail_jump(struct vdev *d, unsigned q)
{
	struct ring *r = &d->ring[q];
	struct seg s[3];
	put_linked(r, 0, s, proper_segments(d, s));
	ring_offer(r, 0);
	r->avail_idx = (uint16_t)(r->avail_idx + r->size + fuzz_below(0x8000u - r->size));
	ring_publish(r, 0);
	dev_notify(d, q);
}

static void attack_beyond(struct vdev *d, unsigned q, bool head)
{
	struct ring *r = &d->ring[q];
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	put_linked(r, 0, s, n);
	uint16_t beyond = (uint16_t)(r->size + fuzz_below(0x10000u - r->size));
	if (head) {
		offer_head(d, q, beyond);
		return;
	}
	desc_put(r->desc, 0, s[0].gpa, s[0].len, DESC_F_NEXT, beyond);
	offer_head(d, q, 0);
}

/* A readable segment after a writable one: the spec's order broken. */
static void attack_read_after_write(struct vdev *d, unsigned q)
{
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	struct seg w = { d->slot + SLOT_IN_BUF, 64, true };
	struct seg swapped[4] = { w, s[0], s[1], s[n - 1] };
	put_linked(&d->ring[q], 0, swapped, n + 1);
	offer_head(d, q, 0);
}

/* More segments than kan takes in one chain (VQ_CHAIN_MAX 64), small readable pieces. */
static void attack_long_chain(struct vdev *d, unsigned q)
{
	struct ring *r = &d->ring[q];
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	unsigned total = 65 + (unsigned)fuzz_below(100);
	bool indirect = r->size < total;
	uint64_t table = indirect ? d->slot + SLOT_INDIRECT : r->desc;
	unsigned entries = indirect ? 256 : r->size;
	if (total > entries)
		total = entries;
	for (unsigned i = 0; i < total; i++) {
		const struct seg *from = i == 0 ? &s[0] : i + 1 == total ? &s[n - 1] : NULL;
		struct seg piece =
			from ? *from : (struct seg){ d->slot + SLOT_OUT_BUF + i, 1, false };
		desc_put(table, i, piece.gpa, piece.len,
			 (piece.write ? DESC_F_WRITE : 0) | (i + 1 < total ? DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	}
	if (indirect)
		desc_put(r->desc, 0, table, 16 * total, DESC_F_INDIRECT, 0);
	offer_head(d, q, 0);
}

/* Queue setup gone wrong: a bad QueueNum, or a ring outside RAM or misaligned. */
static void attack_queue_setup(struct vdev *d, unsigned q, enum attack a)
{
	if (!dev_begin(d))
		return;
	struct ring *r = ring_prepare(d, q), proper = *r;
	uint32_t max = d->queue_max[q];
	uint32_t num = r->size;
	if (a == A_QUEUE_NUM) {
		const uint32_t bad[] = { 0, 3, 100, 255, max + 1, max * 2, 0x8000, 0xffff };
		num = bad[fuzz_below(8)];
	} else {
		/* Only the device is told the bad address; the fuzzer writes the real rings. */
		uint64_t *area = fuzz_below(3) == 0 ? &r->desc
				 : fuzz_below(2)    ? &r->avail
						    : &r->used;
		uint64_t pick = fuzz_below(4);
		if (pick == 0)
			*area += 1 + 2 * fuzz_below(2); /* odd: misaligned for all three */
		else if (pick == 1 && area != &r->used)
			*area = fz.ram_size - 0x10; /* crosses the end of RAM: only ever read */
		else
			*area = outside_ram();
	}
	ring_install(d, q, num);
	*r = proper;
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	if (r->size >= n) {
		put_linked(r, 0, s, n);
		offer_head(d, q, 0);
	}
}

/* Notifies of queues that do not exist, then a proper request that must still work. */
static void attack_bad_notify(struct vdev *d)
{
	for (unsigned i = 0; i < 8; i++)
		dev_notify(d, i < 4 ? d->queues + i : (uint32_t)fuzz_random());
}

/* DRIVER_OK and a request without FEATURES_OK, or feature writes after it. */
static void attack_out_of_order(struct vdev *d, unsigned q)
{
	dev_reset(d);
	reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
	bool late_features = fuzz_below(2);
	if (late_features) {
		reg_write(d, VM_DRIVER_FEAT_SEL, 1);
		reg_write(d, VM_DRIVER_FEATURES, VIRTIO_F_VERSION_1_HIGH);
		reg_write(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
	}
	struct ring *r = ring_prepare(d, q);
	ring_install(d, q, r->size);
	reg_write(d, VM_STATUS,
		  ST_ACKNOWLEDGE | ST_DRIVER | ST_DRIVER_OK | (late_features ? ST_FEATURES_OK : 0));
	if (late_features) {
		reg_write(d, VM_DRIVER_FEAT_SEL, 0);
		reg_write(d, VM_DRIVER_FEATURES, (uint32_t)fuzz_random());
	}
	struct seg s[3];
	put_linked(r, 0, s, proper_segments(d, s));
	offer_head(d, q, 0);
}

static void count_outcome(struct vdev *d, enum attack a, unsigned q)
{
	struct attack_count *c = &d->attacks[a];
	c->tries++;
	struct ring *r = &d->ring[q];
	if (r->size && *(volatile uint16_t *)(uintptr_t)(r->used + 2) != r->used_seen)
		c->completed++;
	if (dev_check_needs_reset(d))
		c->needs_reset++;
	else
		dev_reset(d);
}

void attack_run(struct vdev *d, enum attack a)
{
	unsigned q = request_queue(d);
	bool own_setup = a == A_QUEUE_NUM || a == A_RING_OUTSIDE || a == A_OUT_OF_ORDER;
	if (!own_setup && !dev_init(d))
		return;
	switch (a) {
	case A_LOOP:
		attack_loop(d, q);
		break;
	case A_OUTSIDE_RAM:
	case A_WRAP:
		attack_bad_segment(d, q, a == A_WRAP);
		break;
	case A_INDIRECT_SELF:
	case A_INDIRECT_NESTED:
	case A_INDIRECT_NEXT:
	case A_INDIRECT_BAD_LEN:
		attack_indirect(d, q, a);
		break;
	case A_AVAIL_JUMP:
		attack_avail_jump(d, q);
		break;
	case A_HEAD_BEYOND:
	case A_NEXT_BEYOND:
		attack_beyond(d, q, a == A_HEAD_BEYOND);
		break;
	case A_READ_AFTER_WRITE:
		attack_read_after_write(d, q);
		break;
	case A_LONG_CHAIN:
		attack_long_chain(d, q);
		break;
	case A_QUEUE_NUM:
	case A_RING_OUTSIDE:
		attack_queue_setup(d, q, a);
		break;
	case A_OUT_OF_ORDER:
		attack_out_of_order(d, q);
		break;
	case A_BAD_NOTIFY:
		attack_bad_notify(d);
		if (!(reg_read(d, VM_STATUS) & ST_DEVICE_NEEDS_RESET))
			request_valid(d); /* the device must still work */
		break;
	default:
		return;
	}
	count_outcome(d, a, q);
}

/* `n` notifies in a row with a pattern held in xmm15 the whole time: kan must keep the
 * guest's SSE state across its exits. True if xmm15 came back unchanged. */
static bool notify_storm(uintptr_t notify, uint32_t queue, uint64_t n)
{
	uint64_t pattern[2] = { fuzz_random(), fuzz_random() }, after[2];
	__asm__ volatile("movdqu %[pattern], %%xmm15\n\t"
			 "1: movl %k[queue], (%[reg])\n\t"
			 "dec %[n]\n\t"
			 "jnz 1b\n\t"
			 "movdqu %%xmm15, %[after]"
			 : [after] "=m"(after), [n] "+r"(n)
			 : [pattern] "m"(pattern), [queue] "r"(queue), [reg] "r"(notify)
			 : "xmm15", "memory", "cc");
	return after[0] == pattern[0] && after[1] == pattern[1];
}

/* A proper request offered, then fz.storm_notifies notifies of its queue: it must come back
 * exactly once, and the device stay usable. */
void attack_storm(struct vdev *d)
{
	unsigned q = request_queue(d);
	if (!fz.storm_notifies || !dev_init(d))
		return;
	struct ring *r = &d->ring[q];
	struct seg s[3];
	unsigned n = proper_segments(d, s);
	uint16_t head = chain_offer(d, r, s, n, false);
	ring_publish(r, 0);
	if (notify_storm(d->regs + VM_QUEUE_NOTIFY, q, fz.storm_notifies))
		fz.xmm_kept++;
	else
		fuzz_violation(d, "xmm15 changed across a notify storm: notifies, queue",
			       fz.storm_notifies, q);
	uint32_t id = 0, len;
	if (!ring_wait_used(d, r, &id, &len) || id != head)
		fuzz_violation(d, "the request under a notify storm did not come back: head, id",
			       head, id);
	else if (*(volatile uint16_t *)(uintptr_t)(r->used + 2) != r->used_seen)
		fuzz_violation(d, "a notify storm returned more than was offered: used idx",
			       *(volatile uint16_t *)(uintptr_t)(r->used + 2), r->used_seen);
	d->attacks[A_STORM].tries++;
	if (dev_check_needs_reset(d))
		d->attacks[A_STORM].needs_reset++;
	else
		request_valid(d);
}
