#include "kernel/vm_devices.h"
#include "kernel/vm_apic.h"
#include "guests/include/kan_guest.h"
#include "kernel/console.h"
#include "kernel/devices/virtio_blk.h"
#include "kernel/devices/virtio_net.h"
#include "kernel/format.h"
#include "kernel/memory.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/vm.h"

#define DISKS_MAX 16

struct disk {
	char name[KAN_VM_NAME_MAX];
	const struct boot_module *module;
	struct vm *writer;   /* the VM that has it read-write, or NULL */
	unsigned readers;    /* VMs that have it read-only */
	uint64_t first_hash; /* of its contents when kan started */
};

static struct disk disks[DISKS_MAX];
static unsigned disk_count;
static struct spinlock disks_lock;

/* A checksum of the disk's bytes (FNV-1a over 64-bit words, the tail bytes one by one): cheap
 * enough to take at boot and at the end, to show a read-only disk came back unchanged. */
static uint64_t disk_hash(const struct boot_module *m)
{
	const uint8_t *p = phys_to_ptr(m->start);
	uint64_t n = m->end - m->start, h = 0xcbf29ce484222325ull, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

void vm_disk_add(const char *name, const struct boot_module *module)
{
	uint64_t bytes = module->end - module->start;
	if (disk_count == DISKS_MAX) {
		printk("kan: module '%s': disk, but kan keeps at most %u: unused\n", name,
		       DISKS_MAX);
		return;
	}
	struct disk *d = &disks[disk_count++];
	strlcpy(d->name, name, sizeof(d->name));
	d->module = module;
	d->first_hash = disk_hash(module);
	printk("kan: module '%s': disk, %lu KiB (%lu sectors), checksum %016lx\n", name,
	       bytes >> 10, bytes / SECTOR_SIZE, d->first_hash);
	if (bytes % SECTOR_SIZE)
		printk("kan: module '%s': its last %lu bytes are not a whole sector: unused\n",
		       name, bytes % SECTOR_SIZE);
}

static struct disk *find_disk(const char *name)
{
	for (unsigned i = 0; i < disk_count; i++)
		if (!strcmp(disks[i].name, name))
			return &disks[i];
	return NULL;
}

static void *guest_map(void *vm, uint64_t gpa, uint64_t len)
{
	return vm_guest_ptr(vm, gpa, len ? len : 1);
}

static void raise_irq(void *vm, unsigned irq)
{
	vm_isa_irq(vm, irq);
}

static void wake_vcpu(void *vcpu)
{
	sched_wake(vcpu);
}

static void *alloc(struct vm *vm, uint64_t bytes)
{
	uint64_t at = phys_alloc(bytes, PAGE_SIZE);
	if (at)
		vm->kan_bytes += (bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	return at ? phys_to_ptr(at) : NULL;
}

static void release(struct vm *vm, void *p, uint64_t bytes)
{
	if (p) {
		phys_free((uint64_t)(uintptr_t)p, bytes);
		vm->kan_bytes -= (bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	}
}

/* Wires the transport to the VM: its RAM, its interrupt line, its MMIO window. */
static void place(struct vm *vm, struct virtio_mmio *t)
{
	struct vm_devices *d = &vm->devices;
	unsigned n = d->count++;
	uint32_t base = KAN_VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_SIZE;
	t->irq = VM_DEVICE_IRQ_FIRST + n;
	if (vm->has_pic) {
		t->raise_irq = raise_irq;
		t->irq_ctx = vm;
	}
	d->acpi[n] = (struct acpi_mmio_device){ base, VIRTIO_MMIO_SIZE, (uint8_t)t->irq };
	mmiobus_register(&d->mmio, base, VIRTIO_MMIO_SIZE, virtio_mmio_access, t);
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		vm_devices_release(vm);                                                            \
		return -1;                                                                         \
	} while (0)

static int add_disk(struct vm *vm, char *error, size_t error_size)
{
	const struct vm_config *c = &vm->config;
	struct disk *disk;
	const char *busy = NULL;
	spin_lock(&disks_lock);
	disk = find_disk(c->disk);
	if (disk && disk->writer)
		busy = "another VM writes it";
	else if (disk && !c->disk_read_only && disk->readers)
		busy = "other VMs read it; read-write it must be one VM's alone";
	else if (disk && c->disk_read_only)
		disk->readers++;
	else if (disk)
		disk->writer = vm;
	spin_unlock(&disks_lock);
	if (!disk)
		REFUSE("key 'disk' has bad value '%s' (no kind=disk module has that name)",
		       c->disk);
	if (busy)
		REFUSE("key 'disk' has bad value '%s%s' (%s)", c->disk,
		       c->disk_read_only ? ":ro" : "", busy);
	vm->devices.disk_source = disk;
	struct virtio_blk *blk = alloc(vm, sizeof(*blk));
	if (!blk)
		REFUSE("key 'disk': no memory for the device");
	uint64_t bytes = disk->module->end - disk->module->start;
	virtio_blk_init(blk, phys_to_ptr(disk->module->start), bytes, c->disk_read_only, c->name,
			(struct vq_memory){ guest_map, vm });
	vm->devices.disk = blk;
	place(vm, &blk->transport);
	return 0;
}

static int add_net(struct vm *vm, char *error, size_t error_size)
{
	const struct vm_config *c = &vm->config;
	uint8_t mac[VM_MAC_LEN];
	struct vswitch *sw = vswitch_get(c->net);
	if (!sw)
		REFUSE("key 'net' has bad value '%s' (kan has %u switches already)", c->net,
		       VSWITCH_MAX);
	struct virtio_net *net = alloc(vm, sizeof(*net));
	struct vswitch_frame *inbox = alloc(vm, VSWITCH_INBOX * sizeof(struct vswitch_frame));
	vm_config_mac(c, mac);
	if (net)
		virtio_net_init(net, mac, c->name, (struct vq_memory){ guest_map, vm });
	vm->devices.net = net;
	if (!net || !inbox) {
		release(vm, inbox, VSWITCH_INBOX * sizeof(struct vswitch_frame));
		REFUSE("key 'net': no memory for the device");
	}
	net->port.wake = wake_vcpu;
	net->port.wake_ctx = vm_boot_vcpu(vm);
	if (!vswitch_attach(sw, &net->port, inbox)) {
		release(vm, inbox, VSWITCH_INBOX * sizeof(struct vswitch_frame));
		REFUSE("key 'net' has bad value '%s' (the switch has %u ports, all taken)", c->net,
		       VSWITCH_PORTS_MAX);
	}
	place(vm, &net->transport);
	printk("kan: vm %s: virtio net on switch %s, mac %02x:%02x:%02x:%02x:%02x:%02x\n", c->name,
	       c->net, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 0;
}

int vm_devices_create(struct vm *vm, char *error, size_t error_size)
{
	const struct vm_config *c = &vm->config;
	memset(&vm->devices, 0, sizeof(vm->devices));
	if (!c->disk[0] && !c->net[0])
		return 0;
	if (c->mem > KAN_VIRTIO_MMIO_BASE) {
		ksnprintf(error, error_size,
			  "key 'mem' has bad value '%lu M' (with disk= or net=, RAM must end below "
			  "the device window at 0x%x)",
			  c->mem >> 20, KAN_VIRTIO_MMIO_BASE);
		return -1;
	}
	if (c->disk[0] && add_disk(vm, error, error_size))
		return -1;
	if (c->net[0] && add_net(vm, error, error_size))
		return -1;
	if (c->disk[0])
		printk("kan: vm %s: virtio disk %s%s, %lu sectors\n", c->name, c->disk,
		       c->disk_read_only ? " (read-only)" : "", vm->devices.disk->sectors);
	return 0;
}

void vm_devices_reset(struct vm *vm)
{
	if (vm->devices.disk)
		virtio_mmio_reset(&vm->devices.disk->transport);
	if (vm->devices.net)
		virtio_mmio_reset(&vm->devices.net->transport);
}

void vm_devices_release(struct vm *vm)
{
	struct vm_devices *d = &vm->devices;
	if (d->disk_source) {
		spin_lock(&disks_lock);
		if (d->disk_source->writer == vm)
			d->disk_source->writer = NULL;
		else if (d->disk_source->readers)
			d->disk_source->readers--;
		spin_unlock(&disks_lock);
	}
	if (d->net) {
		vswitch_detach(&d->net->port);
		release(vm, d->net->port.inbox, VSWITCH_INBOX * sizeof(struct vswitch_frame));
	}
	release(vm, d->net, sizeof(*d->net));
	release(vm, d->disk, sizeof(*d->disk));
	memset(d, 0, sizeof(*d));
}

void vm_devices_poll(struct vm *vm)
{
	vuart_poll_rx(&vm->uart);
	if (vm->devices.net)
		virtio_net_poll(vm->devices.net);
}

bool vm_devices_pending(const struct vm *vm)
{
	return vm->devices.net && virtio_net_ready_to_receive(vm->devices.net);
}

static void report_transport(const char *what, const struct virtio_mmio *t)
{
	const struct virtio_stats *s = &t->stats;
	printk("kan:     %s: %lu requests, %lu bytes in, %lu bytes out, %lu errors, "
	       "%lu notifications, %lu interrupts, %lu resets needed%s%s\n",
	       what, s->requests, s->bytes_in, s->bytes_out, s->errors, s->notifies, s->interrupts,
	       s->failures, t->broken[0] ? "; needs a reset now: " : "", t->broken);
}

void vm_devices_report(const struct vm *vm)
{
	const struct vm_devices *d = &vm->devices;
	char what[64];
	if (d->disk) {
		ksnprintf(what, sizeof(what), "disk %s (%lu reads, %lu writes)", vm->config.disk,
			  d->disk->reads, d->disk->writes);
		report_transport(what, &d->disk->transport);
	}
	if (d->net) {
		const struct vswitch_port *p = &d->net->port;
		ksnprintf(what, sizeof(what), "net %s (%lu frames sent, %lu received, %lu dropped)",
			  vm->config.net, p->tx_frames, p->rx_frames,
			  p->rx_dropped + p->tx_dropped);
		report_transport(what, &d->net->transport);
	}
}

void vm_disks_report(void)
{
	for (unsigned i = 0; i < disk_count; i++) {
		const struct disk *d = &disks[i];
		uint64_t now = disk_hash(d->module);
		printk("kan: disk %s: checksum %016lx, %s since boot\n", d->name, now,
		       now == d->first_hash ? "unchanged" : "changed");
	}
}
