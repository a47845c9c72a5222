#include "kernel/devices/vswitch.h"
#include "kernel/string.h"

static struct vswitch switches[VSWITCH_MAX];
static struct spinlock switches_lock;

struct vswitch *vswitch_get(const char *name)
{
	struct vswitch *found = NULL;
	spin_lock(&switches_lock);
	for (unsigned i = 0; i < VSWITCH_MAX && !found; i++)
		if (!strcmp(switches[i].name, name))
			found = &switches[i];
	for (unsigned i = 0; i < VSWITCH_MAX && !found; i++)
		if (!switches[i].name[0]) {
			found = &switches[i];
			strlcpy(found->name, name, sizeof(found->name));
		}
	spin_unlock(&switches_lock);
	return found;
}

bool vswitch_attach(struct vswitch *sw, struct vswitch_port *port, struct vswitch_frame *inbox)
{
	bool done = false;
	spin_lock(&sw->lock);
	for (unsigned i = 0; i < VSWITCH_PORTS_MAX && !done; i++)
		if (!sw->ports[i]) {
			/* Only now: a refused port keeps no inbox its owner already freed. */
			port->inbox = inbox;
			port->head = port->count = 0;
			sw->ports[i] = port;
			port->sw = sw;
			done = true;
		}
	spin_unlock(&sw->lock);
	return done;
}

void vswitch_detach(struct vswitch_port *port)
{
	struct vswitch *sw = port->sw;
	if (!sw)
		return;
	spin_lock(&sw->lock);
	for (unsigned i = 0; i < VSWITCH_PORTS_MAX; i++)
		if (sw->ports[i] == port)
			sw->ports[i] = NULL;
	for (unsigned i = 0; i < VSWITCH_FDB; i++)
		if (sw->fdb[i].port == port)
			sw->fdb[i].port = NULL;
	spin_unlock(&sw->lock);
	port->sw = NULL;
}

static bool is_group(const uint8_t *mac)
{
	return mac[0] & 1; /* broadcast or multicast */
}

/* Notes that `mac` is behind `port`. Under the switch's lock. */
static void learn(struct vswitch *sw, const uint8_t *mac, struct vswitch_port *port)
{
	for (unsigned i = 0; i < VSWITCH_FDB; i++)
		if (sw->fdb[i].port && !memcmp(sw->fdb[i].mac, mac, 6)) {
			sw->fdb[i].port = port; /* it may have moved */
			return;
		}
	unsigned slot = sw->fdb_next++ % VSWITCH_FDB;
	memcpy(sw->fdb[slot].mac, mac, 6);
	sw->fdb[slot].port = port;
}

static struct vswitch_port *lookup(struct vswitch *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < VSWITCH_FDB; i++)
		if (sw->fdb[i].port && !memcmp(sw->fdb[i].mac, mac, 6))
			return sw->fdb[i].port;
	return NULL;
}

static void deliver(struct vswitch_port *to, const uint8_t *frame, unsigned len)
{
	bool was_empty;
	spin_lock(&to->lock);
	if (to->count == VSWITCH_INBOX) {
		to->rx_dropped++;
		spin_unlock(&to->lock);
		return;
	}
	struct vswitch_frame *f = &to->inbox[(to->head + to->count) % VSWITCH_INBOX];
	memcpy(f->data, frame, len);
	f->len = (uint16_t)len;
	was_empty = to->count++ == 0;
	spin_unlock(&to->lock);
	if (was_empty && to->wake)
		to->wake(to->wake_ctx);
}

void vswitch_send(struct vswitch_port *from, const uint8_t *frame, unsigned len)
{
	struct vswitch *sw = from->sw;
	if (!sw || len < VSWITCH_FRAME_MIN || len > VSWITCH_FRAME_MAX) {
		from->tx_dropped++;
		return;
	}
	const uint8_t *dst = frame, *src = frame + 6;
	from->tx_frames++;
	from->tx_bytes += len;
	spin_lock(&sw->lock);
	if (!is_group(src))
		learn(sw, src, from);
	struct vswitch_port *to = is_group(dst) ? NULL : lookup(sw, dst);
	if (to) {
		if (to != from)
			deliver(to, frame, len);
	} else {
		for (unsigned i = 0; i < VSWITCH_PORTS_MAX; i++)
			if (sw->ports[i] && sw->ports[i] != from)
				deliver(sw->ports[i], frame, len);
	}
	spin_unlock(&sw->lock);
}

bool vswitch_receive(struct vswitch_port *port, uint8_t *frame, unsigned *len)
{
	bool got = false;
	spin_lock(&port->lock);
	if (port->count) {
		struct vswitch_frame *f = &port->inbox[port->head];
		memcpy(frame, f->data, f->len);
		*len = f->len;
		port->head = (port->head + 1) % VSWITCH_INBOX;
		port->count--;
		port->rx_frames++;
		port->rx_bytes += f->len;
		got = true;
	}
	spin_unlock(&port->lock);
	return got;
}

bool vswitch_pending(const struct vswitch_port *port)
{
	return __atomic_load_n(&port->count, __ATOMIC_RELAXED) != 0;
}

void vswitch_flush(struct vswitch_port *port)
{
	spin_lock(&port->lock);
	port->head = port->count = 0;
	spin_unlock(&port->lock);
}
