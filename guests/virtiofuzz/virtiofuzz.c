/*
 * The virtio fuzzer: a seeded guest that drives kan's virtio-mmio devices directly, "-- seed=N
 * ops=N disk=1 net=1 storm=10000 storm_every=10000" (disk= and net= say which devices its
 * config line gave it: kan places the disk first). Each operation picks a device and does one
 * of: a random register read or write (any offset in its page, width 1, 2 or 4); a proper
 * request after a proper initialization (block: sectors written, read back and compared in
 * SSE registers; net: a frame sent); a named attack (attacks.c). Every storm_every operations,
 * a notification storm. Whenever a device says DEVICE_NEEDS_RESET, the fuzzer resets it and
 * goes on. It checks that its own code and page tables never changed, prints progress every
 * 10^4 operations, and ends with status 0 if no proper request failed and nothing was clobbered.
 */
#include "virtiofuzz.h"

#define PROGRESS_EVERY	   10000
#define SHOW_VIOLATIONS	   10
#define PAGE_TABLES	   KAN_GUEST_PML4_ADDR
#define PAGE_TABLES_END	   (KAN_GUEST_PD_ADDR + 4 * 0x1000)
#define PTE_ACCESSED_DIRTY 0x60ull
#define GDT_ACCESSED_BUSY  (3ull << 40) /* type bit 0: accessed (code, data) or busy (TSS) */

extern const char __guest_rodata_end[], __guest_image_end[]; /* guests/lib/guest.ld */

struct fuzz fz;

uint64_t fuzz_random(void)
{
	return guest_random(&fz.rng);
}

uint64_t fuzz_below(uint64_t n)
{
	return n ? fuzz_random() % n : 0;
}

void fuzz_violation(struct vdev *d, const char *what, uint64_t a, uint64_t b)
{
	if (fz.violations++ < SHOW_VIOLATIONS)
		guest_printf("virtiofuzz: VIOLATION at op %lu on %s: %s (0x%lx, 0x%lx)\n", fz.op,
			     d->name, what, a, b);
}

/* Fletcher-like, two 64-bit lanes: a sum, and a sum of sums so that order counts. */
xsum128 xmm_checksum_masked(uint64_t gpa, uint64_t len, uint64_t ignore)
{
	const xsum128 *p = (const xsum128 *)(uintptr_t)gpa;
	xsum128 keep = { ~ignore, ~ignore }, sum = { 0, 0 }, sums = { 1, 1 };
	for (uint64_t i = 0; i < len / 16; i++) {
		sum += p[i] & keep;
		sums += sum;
	}
	return sum ^ (sums << 1);
}

xsum128 xmm_checksum(uint64_t gpa, uint64_t len)
{
	return xmm_checksum_masked(gpa, len, 0);
}

bool xsum_equal(xsum128 a, xsum128 b)
{
	return a[0] == b[0] && a[1] == b[1];
}

/* What no device may ever change: the fuzzer's code and constants, its GDT, its page tables
 * (the bits the CPU sets itself left out). */
static xsum128 own_memory(void)
{
	uint64_t code_len =
		((uint64_t)(uintptr_t)__guest_rodata_end - KAN_GUEST_IMAGE_MIN) & ~15ull;
	xsum128 code = xmm_checksum(KAN_GUEST_IMAGE_MIN, code_len);
	xsum128 gdt = xmm_checksum_masked(KAN_GUEST_GDT_ADDR, 0x1000, GDT_ACCESSED_BUSY);
	xsum128 tables =
		xmm_checksum_masked(PAGE_TABLES, PAGE_TABLES_END - PAGE_TABLES, PTE_ACCESSED_DIRTY);
	return code + (gdt << 3) + (tables << 7);
}

static const uint16_t known_registers[] = {
	VM_MAGIC,
	VM_VERSION,
	VM_DEVICE_ID,
	VM_VENDOR_ID,
	VM_DEVICE_FEATURES,
	VM_DEVICE_FEAT_SEL,
	VM_DRIVER_FEATURES,
	VM_DRIVER_FEAT_SEL,
	VM_QUEUE_SEL,
	VM_QUEUE_NUM_MAX,
	VM_QUEUE_NUM,
	VM_QUEUE_READY,
	VM_QUEUE_NOTIFY,
	VM_INTERRUPT_STATUS,
	VM_INTERRUPT_ACK,
	VM_STATUS,
	VM_QUEUE_DESC_LOW,
	VM_QUEUE_DESC_HIGH,
	VM_QUEUE_DRIVER_LOW,
	VM_QUEUE_DRIVER_HIGH,
	VM_QUEUE_DEVICE_LOW,
	VM_QUEUE_DEVICE_HIGH,
	VM_CONFIG_GENERATION,
	VM_CONFIG,
	VM_CONFIG + 4,
	VM_CONFIG + 8,
	VM_CONFIG + 0x14,
	0x0c0 /* QueueReset */,
};

/* A value for a ring address register: its Low half only ever names a junk area of the
 * device's slot (0xff bytes for the areas the device reads, its own zone for the used ring)
 * or one of the fuzzer's real rings; High is anything, which moves it out of RAM. */
static uint32_t ring_address_value(const struct vdev *d, unsigned offset)
{
	if (offset % 16 == 4)
		return fuzz_below(2) ? 0 : (uint32_t)fuzz_random();
	const struct ring *r = &d->ring[fuzz_below(d->queues)];
	bool used = offset == VM_QUEUE_DEVICE_LOW;
	if (r->size && fuzz_below(4) == 0)
		return (uint32_t)(used				? r->used
				  : offset == VM_QUEUE_DESC_LOW ? r->desc
								: r->avail);
	uint64_t zone = d->slot + (used ? SLOT_USED_JUNK : SLOT_READ_JUNK);
	return (uint32_t)(zone + fuzz_below(JUNK_SIZE - 0x1000));
}

static uint32_t register_value(const struct vdev *d, unsigned offset)
{
	uint64_t r = fuzz_random();
	switch (offset) {
	case VM_STATUS:
		return r & 1 ? 0 : (uint32_t)(r >> 8) & 0xff;
	case VM_QUEUE_NOTIFY:
	case VM_QUEUE_SEL:
		return r & 1 ? (uint32_t)(r >> 8) % (d->queues + 2) : (uint32_t)(r >> 32);
	case VM_QUEUE_NUM:
		return r & 1 ? 1u << ((r >> 8) % 17) : (uint32_t)(r >> 32);
	case VM_QUEUE_READY:
		return (uint32_t)(r >> 8) & 3;
	default:
		return (uint32_t)(r >> 32);
	}
}

/* Writes that would reach the ring address registers are whole and aligned, with a value from
 * ring_address_value: a part-write could merge into an address naming the fuzzer's own code. */
static void random_register_op(struct vdev *d)
{
	d->register_ops++;
	unsigned width = 1u << fuzz_below(3), offset;
	uint64_t kind = fuzz_below(100);
	if (kind < 60) {
		offset = known_registers[fuzz_below(sizeof(known_registers) / 2)];
		width = kind < 50 ? 4 : width;
	} else if (kind < 85) {
		offset = (unsigned)fuzz_below(0x200 - width + 1);
	} else {
		offset = (unsigned)fuzz_below(0x1000 - width + 1);
	}
	if (fuzz_below(2)) {
		mmio_read(d->regs + offset, width);
		return;
	}
	uint32_t value;
	if (offset < VM_QUEUE_DEVICE_HIGH + 4 && offset + width > VM_QUEUE_DESC_LOW) {
		if (width != 4 || offset % 4 || offset % 16 > 4) {
			mmio_read(d->regs + offset, width);
			return;
		}
		value = ring_address_value(d, offset);
	} else {
		value = register_value(d, offset);
	}
	mmio_write(d->regs + offset, width, value);
	d->ready = false;
}

static void one_op(struct vdev *d)
{
	d->ops++;
	uint64_t p = fuzz_below(100);
	if (fz.storm_every && fz.op % fz.storm_every == fz.storm_every / 2)
		attack_storm(d);
	else if (p < 65)
		random_register_op(d);
	else if (p < 85)
		request_valid(d);
	else
		attack_run(d, (enum attack)fuzz_below(A_STORM));
	dev_check_needs_reset(d);
}

/* kan's devices in its order (the disk first), each checked to be what the config promised. */
static bool discover(const struct kan_start_info *info)
{
	static const char *const names[] = { "disk", "net" };
	static const uint32_t ids[] = { VIRTIO_ID_BLOCK, VIRTIO_ID_NET };
	for (unsigned kind = 0; kind < 2; kind++) {
		if (!guest_arg(info, names[kind], 1))
			continue;
		struct vdev *d = &fz.dev[fz.devices];
		d->name = names[kind];
		d->regs = (uintptr_t)(VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * fz.devices);
		d->slot = SCRATCH_BASE + SLOT_SIZE * fz.devices;
		d->device_id = ids[kind];
		d->queues = kind ? 2 : 1;
		uint32_t magic = reg_read(d, VM_MAGIC), version = reg_read(d, VM_VERSION),
			 id = reg_read(d, VM_DEVICE_ID);
		guest_printf("virtiofuzz: %s at 0x%lx: magic 0x%x, version %u, device %u, "
			     "vendor 0x%x\n",
			     d->name, (uint64_t)d->regs, magic, version, id,
			     reg_read(d, VM_VENDOR_ID));
		if (magic != VIRTIO_MAGIC || version != 2 || id != d->device_id) {
			guest_printf("virtiofuzz: %s is not a virtio-mmio version 2 device %u\n",
				     d->name, d->device_id);
			return false;
		}
		for (unsigned q = 0; q < d->queues; q++) {
			reg_write(d, VM_QUEUE_SEL, q);
			d->queue_max[q] = reg_read(d, VM_QUEUE_NUM_MAX);
			if (!d->queue_max[q]) {
				guest_printf("virtiofuzz: %s queue %u has QueueNumMax 0\n", d->name,
					     q);
				return false;
			}
		}
		d->capacity = reg_read(d, VM_CONFIG) | (uint64_t)reg_read(d, VM_CONFIG + 4) << 32;
		for (unsigned i = 0; i < 6; i++)
			d->mac[i] = (uint8_t)mmio_read(d->regs + VM_CONFIG + i, 1);
		if (kind == 0)
			guest_printf("virtiofuzz: disk of %lu sectors, queue max %u\n", d->capacity,
				     d->queue_max[0]);
		else
			guest_printf("virtiofuzz: net mac %x:%x:%x:%x:%x:%x, queue max %u/%u\n",
				     d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4],
				     d->mac[5], d->queue_max[0], d->queue_max[1]);
		/* The rest of the slot is zero, as all RAM is at start (kan_guest.h). */
		fill_bytes(d->slot + SLOT_READ_JUNK, 0xff, JUNK_SIZE);
		fz.devices++;
	}
	return fz.devices > 0;
}

static uint64_t resets_seen(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < fz.devices; i++)
		n += fz.dev[i].resets_seen;
	return n;
}

static void check_own_memory(xsum128 expected)
{
	if (!xsum_equal(own_memory(), expected))
		fuzz_violation(&fz.dev[0], "the fuzzer's own code, GDT or page tables changed", 0,
			       0);
}

/* kan says once per DEVICE_NEEDS_RESET why it set it; after thousands of those its console
 * ring is full, and a guest's line that does not fit is dropped. Half a second of kan's time
 * with no device touched lets the ring drain before a line that matters. */
static void quiet_pause(void)
{
	uint64_t until = kan_time_ns() + 500000000ull;
	while (kan_time_ns() < until)
		kan_hypercall(KAN_HC_YIELD, 0, 0, 0);
}

static void summary(void)
{
	for (unsigned i = 0; i < fz.devices; i++) {
		struct vdev *d = &fz.dev[i];
		guest_printf("virtiofuzz: %s: %lu ops, %lu register ops, %lu inits, %lu requests, "
			     "%lu device resets seen\n",
			     d->name, d->ops, d->register_ops, d->inits, d->requests,
			     d->resets_seen);
		for (unsigned a = 0; a < A_COUNT; a++) {
			struct attack_count *c = &d->attacks[a];
			guest_printf("virtiofuzz: %s attack %s: %u tries, %u needs-reset, %u "
				     "completed\n",
				     d->name, attack_name((enum attack)a), c->tries, c->needs_reset,
				     c->completed);
		}
	}
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_console_use_hypercall();
	guest_trap_install();
	uint64_t seed = guest_arg(info, "seed", 1);
	fz.rng = guest_random_seed(seed);
	fz.ops = guest_arg(info, "ops", 100000);
	fz.storm_notifies = guest_arg(info, "storm", 10000);
	fz.storm_every = guest_arg(info, "storm_every", 10000);
	fz.ram_size = info->ram_size;
	guest_printf("virtiofuzz: seed=%lu ops=%lu storm=%lu storm_every=%lu\n", seed, fz.ops,
		     fz.storm_notifies, fz.storm_every);
	uint64_t stack = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	if ((uint64_t)(uintptr_t)__guest_image_end > SCRATCH_BASE ||
	    stack < SCRATCH_END + 0x10000 || fz.ram_size < stack) {
		guest_printf("virtiofuzz: needs its image below 0x%lx and mem=8M or more (image "
			     "ends 0x%lx, stack at 0x%lx)\n",
			     (uint64_t)SCRATCH_BASE, (uint64_t)(uintptr_t)__guest_image_end, stack);
		return 2;
	}
	if (!discover(info))
		return 3;
	xsum128 own = own_memory();
	for (fz.op = 0; fz.op < fz.ops; fz.op++) {
		if (fz.op && fz.op % PROGRESS_EVERY == 0) {
			check_own_memory(own);
			quiet_pause();
			guest_printf(
				"virtiofuzz: %lu ops, %lu device resets seen, %lu violations\n",
				fz.op, resets_seen(), fz.violations);
		}
		/* Interrupts on, as a real driver runs (console waits turn them off): kan delivers
		 * none to an ELF guest, and in Bochs ryzen a guest entered with IF=0 is never
		 * preempted by kan's timer (docs/hardware.md), which would starve the heartbeat. */
		__asm__ volatile("sti");
		one_op(&fz.dev[fuzz_below(fz.devices)]);
	}
	check_own_memory(own);
	quiet_pause();
	summary();
	guest_printf("virtiofuzz: own memory intact: %s, xmm15 kept across %lu storms\n",
		     xsum_equal(own_memory(), own) ? "yes" : "NO", fz.xmm_kept);
	guest_printf("virtiofuzz: done, %lu ops on %s%s%s, %lu device resets seen, %lu violations, "
		     "seed %lu\n",
		     fz.ops, fz.dev[0].name, fz.devices > 1 ? " and " : "",
		     fz.devices > 1 ? fz.dev[1].name : "", resets_seen(), fz.violations, seed);
	return fz.violations ? 1 : 0;
}
