/* The virtio fuzzer's proper requests: what a well-behaved driver does, and what it must get. */
#include "virtiofuzz.h"

#define BLK_T_IN     0
#define BLK_T_OUT    1
#define BLK_S_OK     0
#define SECTOR	     512
#define MAX_SECTORS  8
#define NET_HDR_SIZE 12 /* struct virtio_net_hdr with VERSION_1 (5.1.6) */
#define FRAME_SIZE   60

static uint64_t header_at(const struct vdev *d, unsigned i)
{
	return d->slot + SLOT_HEADERS + 16 * (uint64_t)i;
}

/* The block request header (5.2.6): type, reserved, sector. */
static uint64_t block_header(const struct vdev *d, uint32_t type, uint64_t sector)
{
	uint64_t at = header_at(d, 0);
	*(volatile uint32_t *)(uintptr_t)at = type;
	*(volatile uint32_t *)(uintptr_t)(at + 4) = 0;
	*(volatile uint64_t *)(uintptr_t)(at + 8) = sector;
	return at;
}

/* Header, the data in 1 to 4 pieces, the status byte: one block request's segments. */
static unsigned block_segments(const struct vdev *d, struct seg *s, uint32_t type, uint64_t sector,
			       uint64_t data, uint32_t bytes, bool data_written)
{
	unsigned n = 0;
	s[n++] = (struct seg){ block_header(d, type, sector), 16, false };
	unsigned pieces = 1 + (unsigned)fuzz_below(4);
	uint32_t done = 0;
	for (unsigned i = 0; i < pieces && done < bytes; i++) {
		uint32_t len =
			i + 1 == pieces ? bytes - done : 1 + (uint32_t)fuzz_below(bytes - done);
		s[n++] = (struct seg){ data + done, len, data_written };
		done += len;
	}
	uint64_t status = header_at(d, 1);
	*(volatile uint8_t *)(uintptr_t)status = 0xff;
	s[n++] = (struct seg){ status, 1, true };
	return n;
}

static uint8_t block_status(const struct vdev *d)
{
	return *(volatile uint8_t *)(uintptr_t)header_at(d, 1);
}

/* Writes random sectors, reads them back elsewhere, and compares (in SSE registers). */
void block_out_in(struct vdev *d)
{
	if (d->capacity == 0)
		return;
	uint64_t count = 1 + fuzz_below(d->capacity < MAX_SECTORS ? d->capacity : MAX_SECTORS);
	uint64_t sector = fuzz_below(d->capacity - count + 1);
	uint32_t bytes = (uint32_t)(count * SECTOR);
	uint64_t out = d->slot + SLOT_OUT_BUF, in = d->slot + SLOT_IN_BUF;
	/* Random words with a top byte of 0xa5: read as an address, none lies in RAM. */
	for (uint32_t i = 0; i < bytes; i += 8)
		*(volatile uint64_t *)(uintptr_t)(out + i) = fuzz_random() | 0xa500000000000000ull;
	xsum128 written = xmm_checksum(out, bytes);
	struct seg s[8];
	uint32_t len;
	unsigned n = block_segments(d, s, BLK_T_OUT, sector, out, bytes, false);
	if (!chain_submit(d, 0, s, n, &len))
		return;
	if (block_status(d) != BLK_S_OK) {
		fuzz_violation(d, "a proper OUT failed: sector, status", sector, block_status(d));
		return;
	}
	fill_bytes(in, 0x5a, bytes);
	n = block_segments(d, s, BLK_T_IN, sector, in, bytes, true);
	if (!chain_submit(d, 0, s, n, &len))
		return;
	if (block_status(d) != BLK_S_OK)
		fuzz_violation(d, "a proper IN failed: sector, status", sector, block_status(d));
	else if (!xsum_equal(written, xmm_checksum(in, bytes)))
		fuzz_violation(d, "sectors read back differ from those written: sector, count",
			       sector, count);
}

/* Requests the device must refuse with a status, not by breaking: past the end, unknown type. */
static void block_refused(struct vdev *d)
{
	bool past_end = fuzz_below(2);
	uint64_t sector = past_end ? d->capacity + fuzz_below(4) : 0;
	uint32_t type = past_end ? (fuzz_below(2) ? BLK_T_IN : BLK_T_OUT)
				 : 0x100 + (uint32_t)fuzz_below(64);
	struct seg s[8];
	uint32_t len;
	unsigned n =
		block_segments(d, s, type, sector, d->slot + SLOT_IN_BUF, SECTOR, type == BLK_T_IN);
	if (!chain_submit(d, 0, s, n, &len))
		return;
	if (block_status(d) == BLK_S_OK)
		fuzz_violation(d,
			       "OK for a request past the end or of an unknown type: type, sector",
			       type, sector);
}

/* One Ethernet broadcast of an experimental EtherType, header and frame in one or two pieces. */
void net_transmit(struct vdev *d)
{
	uint64_t hdr = header_at(d, 2), frame = hdr + 16;
	fill_bytes(hdr, 0, NET_HDR_SIZE);
	volatile uint8_t *f = (volatile uint8_t *)(uintptr_t)frame;
	for (unsigned i = 0; i < 6; i++) {
		f[i] = 0xff;
		f[6 + i] = d->mac[i];
	}
	f[12] = 0x88, f[13] = 0xb5;
	for (unsigned i = 14; i < FRAME_SIZE; i++)
		f[i] = (uint8_t)fuzz_random();
	struct seg s[2];
	unsigned n;
	if (fuzz_below(2)) {
		s[0] = (struct seg){ hdr, NET_HDR_SIZE, false };
		s[1] = (struct seg){ frame, FRAME_SIZE, false };
		n = 2;
	} else {
		/* Contiguous: header and frame in one descriptor (5.1.6.6 allows any layout). */
		for (unsigned i = 0; i < FRAME_SIZE; i++)
			*(volatile uint8_t *)(uintptr_t)(hdr + NET_HDR_SIZE + i) = f[i];
		s[0] = (struct seg){ hdr, NET_HDR_SIZE + FRAME_SIZE, false };
		n = 1;
	}
	uint32_t len;
	if (chain_submit(d, 1, s, n, &len) && len != 0)
		fuzz_violation(d, "a transmitted frame came back with bytes written: len", len, 0);
}

/* A few receive buffers: nobody else is on the fuzzer's switch, so they just wait. */
static void net_receive_buffers(struct vdev *d)
{
	struct ring *r = &d->ring[0];
	if (r->avail_idx)
		return;
	for (unsigned i = 0; i < 4 && i < r->size; i++) {
		struct seg s = { d->slot + SLOT_IN_BUF + 0x800 * (uint64_t)i, 0x800, true };
		chain_offer(d, r, &s, 1, false);
	}
	ring_publish(r, 0);
	dev_notify(d, 0);
}

void request_valid(struct vdev *d)
{
	if (!d->ready && !dev_init(d))
		return;
	if (d->device_id == VIRTIO_ID_BLOCK) {
		if (fuzz_below(8))
			block_out_in(d);
		else
			block_refused(d);
	} else {
		net_receive_buffers(d);
		net_transmit(d);
	}
}
