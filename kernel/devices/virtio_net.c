/* virtio-net: every buffer starts with a 12-byte header (5.1.6), then the Ethernet frame. */
#include "kernel/devices/virtio_net.h"
#include "kernel/string.h"

#define NET_F_MAC 5

#define RX_QUEUE 0
#define TX_QUEUE 1

/* struct virtio_net_hdr as VERSION_1 has it: all zero here (no offloads), num_buffers 1. */
#define HDR_LEN		12
#define HDR_NUM_BUFFERS 10

static struct virtio_net *net_of(struct virtio_mmio *t)
{
	return t->device;
}

/* The configuration space (5.1.4): only the MAC address. */
static void config_read(struct virtio_mmio *t, unsigned offset, unsigned size, uint64_t *value)
{
	struct virtio_net *net = net_of(t);
	*value = 0;
	if (offset < 6 && size <= 6 - offset)
		memcpy(value, net->mac + offset, size);
}

static void transmit(struct virtio_net *net)
{
	struct virtio_mmio *t = &net->transport;
	struct virtqueue *vq = &t->vq[TX_QUEUE];
	struct vq_chain c;
	const char *why = NULL;
	bool used = false;
	enum vq_pop_result r;
	while ((r = vq_pop(vq, &t->mem, &c, &why)) == VQ_GOT_CHAIN) {
		uint64_t len = c.readable > HDR_LEN ? c.readable - HDR_LEN : 0;
		t->stats.requests++;
		if (len < VSWITCH_FRAME_MIN || len > VSWITCH_FRAME_MAX) {
			t->stats.errors++; /* no such Ethernet frame: dropped */
		} else {
			vq_read(&c, &t->mem, HDR_LEN, net->frame, len);
			t->stats.bytes_out += len;
			vswitch_send(&net->port, net->frame, (unsigned)len);
		}
		if (!vq_push(vq, &t->mem, c.head, 0, &why)) {
			r = VQ_BROKEN;
			break;
		}
		used = true;
	}
	virtio_mmio_served(t, vq, r, why, used);
}

void virtio_net_poll(struct virtio_net *net)
{
	struct virtio_mmio *t = &net->transport;
	if (!vswitch_pending(&net->port) || !virtio_queue_live(t, RX_QUEUE))
		return;
	struct virtqueue *vq = &t->vq[RX_QUEUE];
	const uint8_t header[HDR_LEN] = { [HDR_NUM_BUFFERS] = 1 };
	struct vq_chain c;
	const char *why = NULL;
	bool used = false;
	unsigned len;
	enum vq_pop_result r = VQ_EMPTY;
	/* A frame leaves the inbox only for a buffer already taken: none is lost to an empty
	 * queue, and the driver's next buffers bring the rest (notify below). */
	while (vswitch_pending(&net->port) && (r = vq_pop(vq, &t->mem, &c, &why)) == VQ_GOT_CHAIN) {
		uint32_t written = 0;
		if (vswitch_receive(&net->port, net->frame, &len)) {
			if (c.writable < HDR_LEN + len) {
				t->stats.errors++; /* a buffer too small for it: the frame is lost
						    */
			} else {
				vq_write(&c, &t->mem, 0, header, HDR_LEN);
				vq_write(&c, &t->mem, HDR_LEN, net->frame, len);
				written = HDR_LEN + len;
				t->stats.bytes_in += len;
			}
		}
		if (!vq_push(vq, &t->mem, c.head, written, &why)) {
			r = VQ_BROKEN;
			break;
		}
		used = true;
	}
	virtio_mmio_served(t, vq, r, why, used);
}

bool virtio_net_ready_to_receive(const struct virtio_net *net)
{
	const struct virtio_mmio *t = &net->transport;
	return vswitch_pending(&net->port) && virtio_queue_live(t, RX_QUEUE) &&
	       vq_has_available(&t->vq[RX_QUEUE], &t->mem);
}

static void notify(struct virtio_mmio *t, unsigned q)
{
	if (q == TX_QUEUE)
		transmit(net_of(t));
	else
		virtio_net_poll(net_of(t)); /* new receive buffers: frames may be waiting */
}

static void reset(struct virtio_mmio *t)
{
	vswitch_flush(&net_of(t)->port);
}

static const struct virtio_model net_model = {
	.kind = "net",
	.device_id = VIRTIO_ID_NET,
	.features = 1ull << NET_F_MAC,
	.queues = 2,
	.config_read = config_read,
	.notify = notify,
	.reset = reset,
};

void virtio_net_init(struct virtio_net *net, const uint8_t mac[6], const char *vm_name,
		     struct vq_memory mem)
{
	memset(net, 0, sizeof(*net));
	virtio_mmio_init(&net->transport, &net_model, net, vm_name, mem);
	memcpy(net->mac, mac, 6);
}
