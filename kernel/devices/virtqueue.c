/* Split virtqueues, the device's side (virtio 1.x section 2.7): nothing the driver wrote is
 * trusted. */
#include "kernel/devices/virtqueue.h"
#include "kernel/string.h"

/* x86-64 and virtio 1.x rings are both little-endian, so fields are loaded as they lie. The
 * loads are volatile so each guest value is fetched exactly once (another vCPU may rewrite it
 * meanwhile), and byte-aligned because an indirect table needs no alignment. */
typedef uint16_t __attribute__((aligned(1))) guest_u16;
typedef uint32_t __attribute__((aligned(1))) guest_u32;
typedef uint64_t __attribute__((aligned(1))) guest_u64;

static uint16_t load16(const uint8_t *p)
{
	return *(const volatile guest_u16 *)p;
}

static void store16(uint8_t *p, uint16_t v)
{
	*(volatile guest_u16 *)p = v;
}

static void store32(uint8_t *p, uint32_t v)
{
	*(volatile guest_u32 *)p = v;
}

/* One descriptor, copied out of guest memory: every later decision uses this copy. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct desc load_desc(const uint8_t *table, unsigned i)
{
	const uint8_t *p = table + 16 * (uint64_t)i;
	struct desc d = {
		.addr = *(const volatile guest_u64 *)p,
		.len = *(const volatile guest_u32 *)(p + 8),
		.flags = *(const volatile guest_u16 *)(p + 12),
		.next = *(const volatile guest_u16 *)(p + 14),
	};
	return d;
}

static bool fail(const char **why, const char *reason)
{
	*why = reason;
	return false;
}

/* Maps [gpa, gpa + len) after the checks that must not be left to the map: wrap-around. */
static void *map_range(const struct vq_memory *mem, uint64_t gpa, uint64_t len)
{
	if (len > UINT64_MAX - gpa)
		return NULL;
	return mem->map(mem->ctx, gpa, len);
}

/* The ring areas' sizes (2.7): avail and used carry flags, idx and the event word. */
static uint64_t desc_bytes(uint16_t size)
{
	return 16 * (uint64_t)size;
}

static uint64_t avail_bytes(uint16_t size)
{
	return 6 + 2 * (uint64_t)size;
}

static uint64_t used_bytes(uint16_t size)
{
	return 6 + 8 * (uint64_t)size;
}

static uint8_t *map_area(const struct vq_memory *mem, uint64_t gpa, uint64_t len, uint64_t align,
			 const char *what, const char **why)
{
	uint8_t *p = gpa % align ? NULL : map_range(mem, gpa, len);
	if (!p)
		*why = what;
	return p;
}

/* Checks the size and maps the areas asked for (NULL: not wanted): each call maps only what
 * it reads or writes, since the map is on every request's path. */
static bool map_rings(const struct virtqueue *vq, const struct vq_memory *mem, uint8_t **desc,
		      uint8_t **avail, uint8_t **used, const char **why)
{
	uint16_t size = vq->size;
	if (size == 0 || size > VQ_SIZE_MAX || (size & (size - 1)))
		return fail(why, "queue size is not a power of two up to 256");
	if (desc && !(*desc = map_area(mem, vq->desc, desc_bytes(size), 16,
				       "descriptor table misaligned or outside RAM", why)))
		return false;
	if (avail && !(*avail = map_area(mem, vq->avail, avail_bytes(size), 2,
					 "avail ring misaligned or outside RAM", why)))
		return false;
	return !used || (*used = map_area(mem, vq->used, used_bytes(size), 4,
					  "used ring misaligned or outside RAM", why));
}

bool vq_check_layout(const struct virtqueue *vq, const struct vq_memory *mem, const char **why)
{
	uint8_t *desc, *avail, *used;
	return map_rings(vq, mem, &desc, &avail, &used, why);
}

static bool add_segment(struct vq_chain *c, const struct vq_memory *mem, const struct desc *d,
			const char **why)
{
	if (c->count == VQ_CHAIN_MAX)
		return fail(why, "more than 64 segments in a chain");
	if (d->len > UINT64_MAX - d->addr)
		return fail(why, "segment wraps past the top of the address space");
	if (!mem->map(mem->ctx, d->addr, d->len))
		return fail(why, "segment outside RAM");
	bool writes = d->flags & VQ_DESC_F_WRITE;
	if (!writes && c->count && c->seg[c->count - 1].device_writes)
		return fail(why, "readable segment after a writable one");
	c->seg[c->count++] =
		(struct vq_segment){ .gpa = d->addr, .len = d->len, .device_writes = writes };
	if (writes)
		c->writable += d->len;
	else
		c->readable += d->len;
	return true;
}

static bool follow(const uint8_t *table, unsigned entries, bool indirect, unsigned first,
		   struct vq_chain *c, const struct vq_memory *mem, const char **why);

/* The indirect table a descriptor names (2.7.5.3): checked whole, then walked from entry 0. */
static bool follow_indirect(const struct desc *d, struct vq_chain *c, const struct vq_memory *mem,
			    const char **why)
{
	if (d->flags & VQ_DESC_F_NEXT)
		return fail(why, "INDIRECT together with NEXT");
	if (d->len == 0)
		return fail(why, "empty indirect table");
	if (d->len % 16)
		return fail(why, "indirect table not a multiple of 16 bytes");
	if (d->len / 16 > VQ_SIZE_MAX)
		return fail(why, "indirect table of more than 256 entries");
	const uint8_t *table = map_range(mem, d->addr, d->len);
	if (!table)
		return fail(why, "indirect table wraps or lies outside RAM");
	return follow(table, d->len / 16, true, 0, c, mem, why);
}

/* Follows a chain through one table from entry `first`. Visiting more entries than the table
 * holds means a loop: that bound is what keeps a hostile chain from running forever. */
static bool follow(const uint8_t *table, unsigned entries, bool indirect, unsigned first,
		   struct vq_chain *c, const struct vq_memory *mem, const char **why)
{
	unsigned i = first;
	for (unsigned visited = 0;; visited++) {
		if (visited == entries)
			return fail(why,
				    indirect ? "loop in an indirect table" : "descriptor loop");
		struct desc d = load_desc(table, i);
		if (d.flags & VQ_DESC_F_INDIRECT) {
			/* Without NEXT this ends the chain, so one table per chain follows. */
			if (indirect)
				return fail(why, "indirect table holding another INDIRECT");
			return follow_indirect(&d, c, mem, why);
		}
		if (!add_segment(c, mem, &d, why))
			return false;
		if (!(d.flags & VQ_DESC_F_NEXT))
			return true;
		if (d.next >= entries)
			return fail(why, "next index beyond the table");
		i = d.next;
	}
}

enum vq_pop_result vq_pop(struct virtqueue *vq, const struct vq_memory *mem, struct vq_chain *out,
			  const char **why)
{
	uint8_t *desc, *avail;
	if (!map_rings(vq, mem, &desc, &avail, NULL, why))
		return VQ_BROKEN;
	uint16_t offered = (uint16_t)(load16(avail + 2) - vq->next_avail);
	if (offered == 0)
		return VQ_EMPTY;
	if (offered > vq->size) {
		*why = "avail index further ahead than the queue size";
		return VQ_BROKEN;
	}
	/* The ring entry and descriptors were written before avail->idx (2.7.13). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint16_t head = load16(avail + 4 + 2 * (vq->next_avail & (vq->size - 1)));
	if (head >= vq->size) {
		*why = "head index beyond the queue";
		return VQ_BROKEN;
	}
	out->head = head;
	out->count = 0;
	out->readable = out->writable = 0;
	if (!follow(desc, vq->size, false, head, out, mem, why))
		return VQ_BROKEN;
	vq->next_avail++;
	return VQ_GOT_CHAIN;
}

bool vq_push(struct virtqueue *vq, const struct vq_memory *mem, uint16_t head, uint32_t written,
	     const char **why)
{
	uint8_t *used;
	if (!map_rings(vq, mem, NULL, NULL, &used, why))
		return false;
	if (head >= vq->size)
		return fail(why, "pushed head index beyond the queue");
	uint8_t *elem = used + 4 + 8 * (uint64_t)(vq->next_used & (vq->size - 1));
	store32(elem, head);
	store32(elem + 4, written);
	/* The driver must see the element before the index that publishes it (2.7.8). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->next_used++;
	store16(used + 2, vq->next_used);
	return true;
}

bool vq_has_available(const struct virtqueue *vq, const struct vq_memory *mem)
{
	const char *why;
	uint8_t *avail;
	if (!map_rings(vq, mem, NULL, &avail, NULL, &why))
		return false;
	return load16(avail + 2) != vq->next_avail;
}

bool vq_wants_interrupt(const struct virtqueue *vq, const struct vq_memory *mem)
{
	const char *why;
	uint8_t *avail;
	/* A full barrier: the used->idx store must be visible before avail->flags is read, or a
	 * driver re-enabling interrupts just then would sleep on a completion it never hears of. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!map_rings(vq, mem, NULL, &avail, NULL, &why))
		return false;
	return !(load16(avail) & VQ_AVAIL_F_NO_INTERRUPT);
}

/* Copies one part of the chain (its readable or its writable segments) into `into`, or from
 * `from` into it; the other pointer is NULL. */
static uint64_t copy_part(const struct vq_chain *chain, const struct vq_memory *mem, bool writable,
			  uint64_t offset, uint8_t *into, const uint8_t *from, uint64_t len)
{
	uint64_t done = 0;
	for (unsigned i = 0; i < chain->count && done < len; i++) {
		const struct vq_segment *s = &chain->seg[i];
		if (s->device_writes != writable)
			continue;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		uint64_t n = s->len - offset;
		if (n > len - done)
			n = len - done;
		/* Mapped again: the chain was checked at vq_pop, but RAM may have changed since. */
		uint8_t *p = map_range(mem, s->gpa + offset, n);
		if (!p)
			break;
		if (from)
			memcpy(p, from + done, n);
		else
			memcpy(into + done, p, n);
		done += n;
		offset = 0;
	}
	return done;
}

uint64_t vq_read(const struct vq_chain *chain, const struct vq_memory *mem, uint64_t offset,
		 void *buf, uint64_t len)
{
	return copy_part(chain, mem, false, offset, buf, NULL, len);
}

uint64_t vq_write(const struct vq_chain *chain, const struct vq_memory *mem, uint64_t offset,
		  const void *buf, uint64_t len)
{
	return copy_part(chain, mem, true, offset, NULL, buf, len);
}
