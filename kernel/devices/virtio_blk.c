/* virtio-blk: each request is a header, data, and a status byte (5.2.6). */
#include "kernel/devices/virtio_blk.h"
#include "kernel/string.h"

#define BLK_F_SIZE_MAX 1
#define BLK_F_SEG_MAX  2
#define BLK_F_RO       5
#define BLK_F_FLUSH    9

#define BLK_T_IN     0
#define BLK_T_OUT    1
#define BLK_T_FLUSH  4
#define BLK_T_GET_ID 8

#define BLK_S_OK     0
#define BLK_S_IOERR  1
#define BLK_S_UNSUPP 2

#define HEADER_LEN 16
#define ID_LEN	   20
#define SEG_MAX	   (VQ_CHAIN_MAX - 2) /* the header and the status take one each */
#define SIZE_MAX_  (1u << 20)	      /* the largest data segment kan takes */

struct blk_header {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct virtio_blk *blk_of(struct virtio_mmio *t)
{
	return t->device;
}

/* The configuration space (5.2.4): capacity, size_max, seg_max. */
static void config_read(struct virtio_mmio *t, unsigned offset, unsigned size, uint64_t *value)
{
	struct virtio_blk *blk = blk_of(t);
	uint8_t config[16] = { 0 };
	uint32_t size_max = SIZE_MAX_, seg_max = SEG_MAX;
	memcpy(config, &blk->sectors, 8);
	memcpy(config + 8, &size_max, 4);
	memcpy(config + 12, &seg_max, 4);
	*value = 0;
	if (offset < sizeof(config) && size <= sizeof(config) - offset)
		memcpy(value, config + offset, size);
}

/* Copies the request's data between the disk and the chain; the status it earned. */
static uint8_t transfer(struct virtio_blk *blk, const struct vq_chain *c,
			const struct blk_header *h, uint32_t *written)
{
	struct virtio_stats *s = &blk->transport.stats;
	const struct vq_memory *mem = &blk->transport.mem;
	bool in = h->type == BLK_T_IN;
	uint64_t bytes = in ? c->writable - 1 : c->readable - HEADER_LEN;
	if (bytes % SECTOR_SIZE || h->sector > blk->sectors ||
	    bytes / SECTOR_SIZE > blk->sectors - h->sector)
		return BLK_S_IOERR; /* past the end, or not whole sectors */
	if (!in && blk->read_only)
		return BLK_S_IOERR;
	uint8_t *at = blk->image + h->sector * SECTOR_SIZE;
	if (in) {
		vq_write(c, mem, 0, at, bytes);
		*written = (uint32_t)bytes;
		s->bytes_in += bytes;
		blk->reads++;
	} else {
		vq_read(c, mem, HEADER_LEN, at, bytes);
		s->bytes_out += bytes;
		blk->writes++;
	}
	return BLK_S_OK;
}

static uint8_t serve(struct virtio_blk *blk, const struct vq_chain *c, uint32_t *written)
{
	struct blk_header h;
	if (c->readable < HEADER_LEN || !c->writable ||
	    vq_read(c, &blk->transport.mem, 0, &h, sizeof(h)) != sizeof(h))
		return BLK_S_IOERR; /* no room for the status: answered as IOERR all the same */
	switch (h.type) {
	case BLK_T_IN:
	case BLK_T_OUT:
		return transfer(blk, c, &h, written);
	case BLK_T_FLUSH:
		return BLK_S_OK; /* the disk is kan's memory: nothing to flush */
	case BLK_T_GET_ID: {
		char id[ID_LEN] = "kan-disk";
		uint64_t n = c->writable - 1 < ID_LEN ? c->writable - 1 : ID_LEN;
		*written = (uint32_t)vq_write(c, &blk->transport.mem, 0, id, n);
		return BLK_S_OK;
	}
	default:
		return BLK_S_UNSUPP;
	}
}

static void notify(struct virtio_mmio *t, unsigned q)
{
	struct virtio_blk *blk = blk_of(t);
	struct virtqueue *vq = &t->vq[q];
	struct vq_chain c;
	const char *why = NULL;
	bool used = false;
	enum vq_pop_result r;
	while ((r = vq_pop(vq, &t->mem, &c, &why)) == VQ_GOT_CHAIN) {
		uint32_t written = 0;
		uint8_t status = serve(blk, &c, &written);
		t->stats.requests++;
		if (status != BLK_S_OK)
			t->stats.errors++;
		if (c.writable) /* the status byte: the last writable byte of the chain */
			vq_write(&c, &t->mem, c.writable - 1, &status, 1);
		if (!vq_push(vq, &t->mem, c.head, written + (c.writable ? 1 : 0), &why)) {
			r = VQ_BROKEN;
			break;
		}
		used = true;
	}
	virtio_mmio_served(t, vq, r, why, used);
}

static const struct virtio_model blk_model = {
	.kind = "disk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = 1ull << BLK_F_SIZE_MAX | 1ull << BLK_F_SEG_MAX | 1ull << BLK_F_FLUSH,
	.queues = 1,
	.config_read = config_read,
	.notify = notify,
};

static const struct virtio_model blk_model_ro = {
	.kind = "disk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = 1ull << BLK_F_SIZE_MAX | 1ull << BLK_F_SEG_MAX | 1ull << BLK_F_RO,
	.queues = 1,
	.config_read = config_read,
	.notify = notify,
};

void virtio_blk_init(struct virtio_blk *blk, uint8_t *image, uint64_t bytes, bool read_only,
		     const char *vm_name, struct vq_memory mem)
{
	memset(blk, 0, sizeof(*blk));
	virtio_mmio_init(&blk->transport, read_only ? &blk_model_ro : &blk_model, blk, vm_name,
			 mem);
	blk->image = image;
	blk->sectors = bytes / SECTOR_SIZE;
	blk->read_only = read_only;
}
