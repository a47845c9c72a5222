/* The virtio-mmio register window (virtio 1.x, 4.2.2), the same for every kan device. */
#include "kernel/devices/virtio_mmio.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/string.h"

#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_VENDOR_ID		0x00c
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_DRIVER_LOW	0x090
#define REG_QUEUE_DRIVER_HIGH	0x094
#define REG_QUEUE_DEVICE_LOW	0x0a0
#define REG_QUEUE_DEVICE_HIGH	0x0a4
#define REG_CONFIG_GENERATION	0x0fc
#define REG_CONFIG		0x100

#define MAGIC	  0x74726976 /* "virt" */
#define VENDOR_ID 0x004e414b /* "KAN" */

static uint64_t offered(const struct virtio_mmio *t)
{
	return t->model->features | 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_RING_INDIRECT;
}

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_model *model, void *device,
		      const char *vm_name, struct vq_memory mem)
{
	memset(t, 0, sizeof(*t));
	t->model = model;
	t->device = device;
	t->vm_name = vm_name;
	t->mem = mem;
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	t->status = t->interrupt_status = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	memset(t->vq, 0, sizeof(t->vq));
	memset(t->queue_ready, 0, sizeof(t->queue_ready));
	t->broken[0] = '\0';
	if (t->model->reset)
		t->model->reset(t);
}

void virtio_mmio_copy_state(struct virtio_mmio *to, const struct virtio_mmio *from)
{
	to->status = from->status;
	to->interrupt_status = from->interrupt_status;
	to->config_generation = from->config_generation;
	to->device_features_sel = from->device_features_sel;
	to->driver_features_sel = from->driver_features_sel;
	to->queue_sel = from->queue_sel;
	to->driver_features = from->driver_features;
	memcpy(to->vq, from->vq, sizeof(to->vq));
	memcpy(to->queue_ready, from->queue_ready, sizeof(to->queue_ready));
	memcpy(to->broken, from->broken, sizeof(to->broken));
}

bool virtio_queue_live(const struct virtio_mmio *t, unsigned q)
{
	/* Served only after the driver's features were accepted (3.1.1: FEATURES_OK before
	 * DRIVER_OK), and never while the device waits for its reset. */
	uint32_t need = VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	return q < t->model->queues && t->queue_ready[q] &&
	       (t->status & (need | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) == need;
}

static void raise(struct virtio_mmio *t, uint32_t bit)
{
	bool was_clear = !t->interrupt_status;
	t->interrupt_status |= bit;
	/* The line is the OR of the status bits: an edge only where it rises. */
	if (was_clear && t->raise_irq) {
		t->stats.interrupts++;
		t->raise_irq(t->irq_ctx, t->irq);
	}
}

void virtio_mmio_interrupt(struct virtio_mmio *t)
{
	raise(t, VIRTIO_INT_USED);
}

void virtio_mmio_fail(struct virtio_mmio *t, const char *why)
{
	t->stats.errors++;
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	strlcpy(t->broken, why, sizeof(t->broken));
	/* A driver that breaks its device again and again is told so on kan's console a few
	 * times; after that only counted (stats.failures), so it cannot flood the console. */
	if (++t->stats.failures <= VIRTIO_FAILURES_SHOWN)
		printk("kan: vm %s: virtio %s: %s: the device needs a reset%s\n", t->vm_name,
		       t->model->kind, why,
		       t->stats.failures == VIRTIO_FAILURES_SHOWN ? " (further ones only counted)"
								  : "");
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	t->config_generation++;
	raise(t, VIRTIO_INT_CONFIG);
}

void virtio_mmio_served(struct virtio_mmio *t, struct virtqueue *vq, enum vq_pop_result result,
			const char *why, bool used)
{
	if (result == VQ_BROKEN)
		virtio_mmio_fail(t, why);
	if (used && vq_wants_interrupt(vq, &t->mem))
		virtio_mmio_interrupt(t);
}

static uint64_t *queue_address(struct virtio_mmio *t, unsigned reg)
{
	struct virtqueue *vq = &t->vq[t->queue_sel];
	if (reg <= REG_QUEUE_DESC_HIGH)
		return &vq->desc;
	return reg <= REG_QUEUE_DRIVER_HIGH ? &vq->avail : &vq->used;
}

static uint32_t read_register(struct virtio_mmio *t, unsigned reg)
{
	bool queue_ok = t->queue_sel < t->model->queues;
	switch (reg) {
	case REG_MAGIC:
		return MAGIC;
	case REG_VERSION:
		return 2;
	case REG_DEVICE_ID:
		return t->model->device_id;
	case REG_VENDOR_ID:
		return VENDOR_ID;
	case REG_DEVICE_FEATURES:
		return t->device_features_sel < 2
			       ? (uint32_t)(offered(t) >> (32 * t->device_features_sel))
			       : 0;
	case REG_QUEUE_NUM_MAX:
		return queue_ok ? VQ_SIZE_MAX : 0;
	case REG_QUEUE_READY:
		return queue_ok && t->queue_ready[t->queue_sel];
	case REG_INTERRUPT_STATUS:
		return t->interrupt_status;
	case REG_STATUS:
		return t->status;
	case REG_CONFIG_GENERATION:
		return t->config_generation;
	default: /* write-only registers and holes */
		return 0;
	}
}

/* The driver sets QueueReady: the queue's size and areas are checked once, here. */
static void queue_ready(struct virtio_mmio *t, uint32_t v)
{
	unsigned q = t->queue_sel;
	if (!v) {
		t->queue_ready[q] = false;
		return;
	}
	const char *why = NULL;
	struct virtqueue *vq = &t->vq[q];
	vq->next_avail = vq->next_used = 0;
	if (!vq_check_layout(vq, &t->mem, &why)) {
		char message[96];
		ksnprintf(message, sizeof(message), "queue %u: %s", q, why);
		virtio_mmio_fail(t, message);
		return;
	}
	t->queue_ready[q] = true;
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
	if (!v) {
		virtio_mmio_reset(t);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* Accepted only if the driver took nothing offered not and took VERSION_1:
		 * otherwise FEATURES_OK stays clear, which the driver reads back (3.1.1). */
		uint64_t f = t->driver_features;
		if ((f & ~offered(t)) || !(f & 1ull << VIRTIO_F_VERSION_1))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	/* The driver cannot clear DEVICE_NEEDS_RESET but by a reset. */
	t->status = (v & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
		    (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void write_register(struct virtio_mmio *t, unsigned reg, uint32_t v)
{
	bool queue_ok = t->queue_sel < t->model->queues;
	switch (reg) {
	case REG_DEVICE_FEATURES_SEL:
		t->device_features_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		if (t->driver_features_sel < 2) {
			unsigned shift = 32 * t->driver_features_sel;
			t->driver_features = (t->driver_features & ~(0xffffffffull << shift)) |
					     (uint64_t)v << shift;
		}
		break;
	case REG_DRIVER_FEATURES_SEL:
		t->driver_features_sel = v;
		break;
	case REG_QUEUE_SEL:
		t->queue_sel = v < VIRTIO_QUEUES_MAX ? v : VIRTIO_QUEUES_MAX;
		break;
	case REG_QUEUE_NUM:
		if (queue_ok && !t->queue_ready[t->queue_sel])
			t->vq[t->queue_sel].size =
				v > 0xffff ? 0 : (uint16_t)v; /* checked at ready */
		break;
	case REG_QUEUE_READY:
		if (queue_ok)
			queue_ready(t, v);
		break;
	case REG_QUEUE_NOTIFY:
		t->stats.notifies++;
		if (virtio_queue_live(t, v))
			t->model->notify(t, v);
		break;
	case REG_INTERRUPT_ACK:
		t->interrupt_status &= ~v;
		break;
	case REG_STATUS:
		write_status(t, v);
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		if (queue_ok && !t->queue_ready[t->queue_sel]) {
			uint64_t *a = queue_address(t, reg);
			unsigned shift = (reg & 4) ? 32 : 0;
			*a = (*a & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
		}
		break;
	default: /* read-only registers and holes: ignored */
		break;
	}
}

void virtio_mmio_access(void *device, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
	struct virtio_mmio *t = device;
	if (offset >= REG_CONFIG) {
		if (!write) /* the configuration space is read-only in kan's devices */
			t->model->config_read(t, (unsigned)(offset - REG_CONFIG), size, value);
		return;
	}
	/* The registers below 0x100 are 32 bits wide and aligned (4.2.2.2); anything else
	 * reads 0 and writes nothing, as a driver following the spec never sees. */
	if (size != 4 || (offset & 3)) {
		if (!write)
			*value = 0;
		return;
	}
	if (write)
		write_register(t, (unsigned)offset, (uint32_t)*value);
	else
		*value = read_register(t, (unsigned)offset);
}
