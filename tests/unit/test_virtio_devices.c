/*
 * kan's virtio devices as a driver sees them: the virtio-mmio registers (virtio_mmio.c), a
 * block device on a disk image (virtio_blk.c) and a NIC on a switch (virtio_net.c), driven
 * through their register windows with rings in a fake guest RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/mmiobus.h"
#include "kernel/devices/virtio_blk.h"
#include "kernel/devices/virtio_mmio.h"
#include "kernel/devices/virtio_net.h"
#include "kernel/devices/vswitch.h"

/* kan's console, faked: the last message, and how many there were. */
static char message[256];
static unsigned messages;

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	messages++;
}

/* The registers (virtio 1.x, 4.2.2). */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
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

#define F_VERSION_1 (1ull << 32)
#define F_INDIRECT  (1ull << 28)
#define BLK_F_RO    (1ull << 5)
#define BLK_F_FLUSH (1ull << 9)
#define NET_F_MAC   (1ull << 5)

#define BLK_T_IN     0
#define BLK_T_OUT    1
#define BLK_T_FLUSH  4
#define BLK_T_GET_ID 8
#define BLK_S_OK     0
#define BLK_S_IOERR  1

/* A fake guest RAM of 1 MiB at 1 GiB, so that address 0 lies outside it. Queue q has its
 * rings at RING(q) and room for buffers at BUF. */
#define RAM_BASE   0x40000000ull
#define RAM_SIZE   0x100000ull
#define QSIZE	   8
#define RING(q)	   (RAM_BASE + 0x8000 * (q))
#define DESC(q)	   (RING(q) + 0x0000)
#define AVAIL(q)   (RING(q) + 0x1000)
#define USED(q)	   (RING(q) + 0x2000)
#define BUF	   (RAM_BASE + 0x20000)
#define HEADER	   (BUF + 0x0)
#define DATA	   (BUF + 0x1000)
#define STATUS	   (BUF + 0x8000)
#define DISK_SECTS 16

static uint8_t ram[RAM_SIZE];

static void *map_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static const struct vq_memory mem = { .map = map_ram };

static uint8_t *at(uint64_t gpa)
{
	return ram + (gpa - RAM_BASE);
}

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(at(gpa), &v, 2);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, at(gpa), 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, at(gpa), 4);
	return v;
}

/* The interrupt line, faked: how many edges it saw. */
static unsigned irqs;

static void raise_irq(void *ctx, unsigned irq)
{
	assert_ptr_equal(ctx, &irqs);
	assert_int_equal(irq, 5);
	irqs++;
}

static struct virtio_blk blk;
static struct virtio_net net;
static uint8_t image[DISK_SECTS * 512], pristine[DISK_SECTS * 512];
static uint16_t avail_idx[2]; /* the driver's side, per queue */

static struct virtio_mmio *dev; /* the device the helpers below drive */

static void wr(uint64_t reg, uint32_t v)
{
	uint64_t value = v;
	virtio_mmio_access(dev, reg, 4, true, &value);
}

static uint32_t rd(uint64_t reg)
{
	uint64_t value = 0xdeadbeefdeadbeefull;
	virtio_mmio_access(dev, reg, 4, false, &value);
	return (uint32_t)value;
}

static uint64_t rd_sized(uint64_t reg, unsigned size)
{
	uint64_t value = 0xdeadbeefdeadbeefull;
	virtio_mmio_access(dev, reg, size, false, &value);
	return value;
}

static uint64_t device_features(void)
{
	wr(REG_DEVICE_FEATURES_SEL, 0);
	uint64_t f = rd(REG_DEVICE_FEATURES);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(REG_DEVICE_FEATURES) << 32;
}

static void driver_features(uint64_t f)
{
	wr(REG_DRIVER_FEATURES_SEL, 0);
	wr(REG_DRIVER_FEATURES, (uint32_t)f);
	wr(REG_DRIVER_FEATURES_SEL, 1);
	wr(REG_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* Queue q's size and areas; then QueueReady. */
static void queue_setup(unsigned q, uint32_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(REG_QUEUE_SEL, q);
	wr(REG_QUEUE_NUM, size);
	wr(REG_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
	wr(REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	wr(REG_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	wr(REG_QUEUE_READY, 1);
}

/* What a driver does at probe (3.1.1), up to DRIVER_OK, with every queue at QSIZE. */
static void driver_start(unsigned queues)
{
	wr(REG_STATUS, 0);
	memset(ram, 0, sizeof(ram));
	memset(avail_idx, 0, sizeof(avail_idx));
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	driver_features(device_features() & (F_VERSION_1 | F_INDIRECT));
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	wr(REG_STATUS, s);
	assert_int_equal(rd(REG_STATUS), s);
	for (unsigned q = 0; q < queues; q++) {
		queue_setup(q, QSIZE, DESC(q), AVAIL(q), USED(q));
		assert_int_equal(rd(REG_QUEUE_READY), 1);
	}
	wr(REG_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(REG_STATUS), s | VIRTIO_STATUS_DRIVER_OK);
}

static void put_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *p = at(DESC(q) + 16 * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* The driver offers chain `head` on queue q, publishes it, and notifies. */
static void offer(unsigned q, uint16_t head)
{
	put16(AVAIL(q) + 4 + 2 * (avail_idx[q] % QSIZE), head);
	put16(AVAIL(q) + 2, ++avail_idx[q]);
	wr(REG_QUEUE_NOTIFY, q);
}

static uint16_t used_idx(unsigned q)
{
	return get16(USED(q) + 2);
}

/* The used element for the n-th chain the device returned on queue q: its id and length. */
static uint32_t used_id(unsigned q, unsigned n)
{
	return get32(USED(q) + 4 + 8 * (n % QSIZE));
}

static uint32_t used_len(unsigned q, unsigned n)
{
	return get32(USED(q) + 4 + 8 * (n % QSIZE) + 4);
}

static bool needs_reset(void)
{
	return rd(REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* ---- virtio-blk requests ---- */

static void blk_header(uint32_t type, uint64_t sector)
{
	uint32_t reserved = 0;
	memcpy(at(HEADER), &type, 4);
	memcpy(at(HEADER + 4), &reserved, 4);
	memcpy(at(HEADER + 8), &sector, 8);
}

/* A request of `type` at `sector` with `bytes` of data (in: written by the device); the
 * status byte it earned. */
static uint8_t blk_request(uint32_t type, uint64_t sector, uint32_t bytes)
{
	bool in = type != BLK_T_OUT;
	unsigned n = used_idx(0);
	blk_header(type, sector);
	*at(STATUS) = 0xff;
	uint16_t data_flags = VQ_DESC_F_NEXT | (in ? VQ_DESC_F_WRITE : 0);
	put_desc(0, 0, HEADER, 16, VQ_DESC_F_NEXT, bytes ? 1 : 2);
	put_desc(0, 1, DATA, bytes, data_flags, 2);
	put_desc(0, 2, STATUS, 1, VQ_DESC_F_WRITE, 0);
	offer(0, 0);
	assert_int_equal(used_idx(0), (uint16_t)(n + 1));
	assert_int_equal(used_id(0, n), 0);
	return *at(STATUS);
}

static void fill_image(void)
{
	for (unsigned i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + i / 512);
	memcpy(pristine, image, sizeof(image));
}

static void blk_up(bool read_only)
{
	fill_image();
	virtio_blk_init(&blk, image, sizeof(image) + 100, read_only, "vm1", mem);
	blk.transport.raise_irq = raise_irq;
	blk.transport.irq_ctx = &irqs;
	blk.transport.irq = 5;
	dev = &blk.transport;
	irqs = messages = 0;
	message[0] = '\0';
}

static int blk_setup(void **state)
{
	(void)state;
	blk_up(false);
	return 0;
}

/* ---- the transport ---- */

static void the_device_says_what_it_is(void **state)
{
	(void)state;
	assert_int_equal(rd(REG_MAGIC), 0x74726976);
	assert_int_equal(rd(REG_VERSION), 2);
	assert_int_equal(rd(REG_DEVICE_ID), VIRTIO_ID_BLOCK);
	uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	virtio_net_init(&net, mac, "vm1", mem);
	dev = &net.transport;
	assert_int_equal(rd(REG_MAGIC), 0x74726976);
	assert_int_equal(rd(REG_VERSION), 2);
	assert_int_equal(rd(REG_DEVICE_ID), VIRTIO_ID_NET);
}

static void features_are_offered_by_halves(void **state)
{
	(void)state;
	uint64_t f = device_features();
	assert_true(f & F_VERSION_1);
	assert_true(f & F_INDIRECT);
	assert_true(f & BLK_F_FLUSH);
	assert_false(f & BLK_F_RO);
	wr(REG_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0);
	blk_up(true);
	f = device_features();
	assert_true(f & BLK_F_RO);
	assert_true(f & F_VERSION_1);
}

static void features_ok_needs_version_1_and_only_offered_bits(void **state)
{
	(void)state;
	const uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	uint64_t offered = device_features();
	wr(REG_STATUS, s);
	/* Without VERSION_1 (a legacy driver): FEATURES_OK stays clear. */
	driver_features(offered & ~F_VERSION_1);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s);
	/* A bit not offered, low or high: refused too. */
	driver_features(F_VERSION_1 | 1ull << 3);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s);
	driver_features(F_VERSION_1 | 1ull << 40);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s);
	/* The read-only bit is not offered on a writable disk. */
	driver_features(F_VERSION_1 | BLK_F_RO);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s);
	/* A subset of what is offered, with VERSION_1: taken, and read back. */
	driver_features(F_VERSION_1 | BLK_F_FLUSH);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(blk.transport.driver_features, F_VERSION_1 | BLK_F_FLUSH);
	/* Everything offered is fine too. */
	wr(REG_STATUS, 0);
	wr(REG_STATUS, s);
	driver_features(offered);
	wr(REG_STATUS, s | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(REG_STATUS), s | VIRTIO_STATUS_FEATURES_OK);
}

static void queue_num_max_is_offered_for_existing_queues_only(void **state)
{
	(void)state;
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), VQ_SIZE_MAX);
	wr(REG_QUEUE_SEL, 1); /* a disk has one queue */
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), 0);
	wr(REG_QUEUE_SEL, 0xffffffff);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), 0);
	uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	virtio_net_init(&net, mac, "vm1", mem);
	dev = &net.transport;
	wr(REG_QUEUE_SEL, 1);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), VQ_SIZE_MAX);
	wr(REG_QUEUE_SEL, 2);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), 0);
}

/* DRIVER_OK without FEATURES_OK (out of the order of 3.1.1): the queues are not served. */
static void queues_wait_for_accepted_features(void **state)
{
	(void)state;
	wr(REG_STATUS, 0);
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	queue_setup(0, 8, RAM_BASE + 0x1000, RAM_BASE + 0x2000, RAM_BASE + 0x3000);
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(REG_QUEUE_READY), 1);
	assert_false(virtio_queue_live(dev, 0));
}

/* A driver that breaks its device over and over: kan says so VIRTIO_FAILURES_SHOWN times, then
 * only counts (a fuzzer once filled kan's console with 19,700 of these lines). */
static void repeated_failures_are_shown_a_few_times_then_counted(void **state)
{
	(void)state;
	messages = 0;
	for (unsigned i = 0; i < 10; i++) {
		wr(REG_STATUS, 0);
		wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		driver_features(F_VERSION_1);
		wr(REG_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		queue_setup(0, 3, 0, 0, 0); /* not a power of two */
		assert_true(needs_reset());
	}
	assert_int_equal(messages, VIRTIO_FAILURES_SHOWN);
	assert_true(dev->stats.failures >= 10);
}

/* A queue the driver made wrong: the device needs a reset, the driver hears it once. */
static void expect_refused_queue(uint32_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(REG_STATUS, 0);
	irqs = messages = 0;
	dev->stats.failures = 0; /* each case is announced (the first few per device are) */
	uint32_t generation = rd(REG_CONFIG_GENERATION);
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	driver_features(F_VERSION_1);
	wr(REG_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	queue_setup(0, size, desc, avail, used);
	assert_int_equal(rd(REG_QUEUE_READY), 0);
	assert_true(needs_reset());
	assert_int_equal(rd(REG_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	assert_int_equal(irqs, 1);
	assert_int_equal(messages, 1);
	assert_non_null(strstr(message, "vm1"));
	assert_non_null(strstr(message, "queue 0"));
	assert_int_equal(rd(REG_CONFIG_GENERATION), generation + 1);
	/* The driver cannot clear the bit itself. */
	wr(REG_STATUS, rd(REG_STATUS) & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(needs_reset());
}

static void a_queue_with_a_bad_size_or_outside_ram_needs_a_reset(void **state)
{
	(void)state;
	expect_refused_queue(0, DESC(0), AVAIL(0), USED(0));
	expect_refused_queue(3, DESC(0), AVAIL(0), USED(0));
	expect_refused_queue(VQ_SIZE_MAX * 2, DESC(0), AVAIL(0), USED(0));
	expect_refused_queue(0x10008, DESC(0), AVAIL(0), USED(0)); /* 8 once cut to 16 bits */
	expect_refused_queue(QSIZE, 0, AVAIL(0), USED(0));
	expect_refused_queue(QSIZE, DESC(0), RAM_BASE + RAM_SIZE - 4, USED(0));
	expect_refused_queue(QSIZE, DESC(0), AVAIL(0), RAM_BASE + RAM_SIZE);
	expect_refused_queue(QSIZE, DESC(0) | 1ull << 32, AVAIL(0), USED(0)); /* the high half */
	/* And after a reset, a good queue is taken. */
	driver_start(1);
	assert_false(needs_reset());
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0);
}

static void queue_registers_are_fixed_while_it_is_ready(void **state)
{
	(void)state;
	driver_start(1);
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, 2);
	wr(REG_QUEUE_DESC_LOW, 0);
	assert_int_equal(blk.transport.vq[0].size, QSIZE);
	assert_int_equal(blk.transport.vq[0].desc, DESC(0));
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK);
}

/* A snapshot's restore: another device on the same disk takes the driver's setup and goes on
 * with the same queue, where the first one stopped; its own wiring stays. */
static void a_copy_of_the_transport_goes_on_with_the_drivers_queue(void **state)
{
	(void)state;
	driver_start(1);
	assert_int_equal(blk_request(BLK_T_IN, 2, 512), BLK_S_OK);
	static struct virtio_blk copy;
	virtio_blk_init(&copy, image, sizeof(image), true, "vm2", mem);
	copy.transport.raise_irq = raise_irq;
	copy.transport.irq_ctx = &irqs;
	copy.transport.irq = 6;
	virtio_mmio_copy_state(&copy.transport, &blk.transport);
	assert_string_equal(copy.transport.vm_name, "vm2");
	assert_int_equal(copy.transport.irq, 6);
	assert_true(copy.read_only);
	assert_int_equal(copy.transport.status, blk.transport.status);
	assert_int_equal(copy.transport.vq[0].next_avail, 1);
	dev = &copy.transport;
	assert_int_equal(blk_request(BLK_T_IN, 3, 512), BLK_S_OK); /* used index 1 -> 2 */
	assert_memory_equal(at(DATA), image + 3 * 512, 512);
	assert_int_equal(copy.reads, 1);
	assert_int_equal(blk.reads, 1);
}

/* ---- virtio-blk ---- */

static void a_read_copies_the_sectors_and_says_ok(void **state)
{
	(void)state;
	driver_start(1);
	assert_int_equal(blk_request(BLK_T_IN, 2, 2 * 512), BLK_S_OK);
	assert_memory_equal(at(DATA), image + 2 * 512, 2 * 512);
	assert_int_equal(used_len(0, 0), 2 * 512 + 1);
	/* The last sector of the disk (its size was rounded down to whole sectors). */
	assert_int_equal(blk_request(BLK_T_IN, DISK_SECTS - 1, 512), BLK_S_OK);
	assert_memory_equal(at(DATA), image + (DISK_SECTS - 1) * 512, 512);
	assert_int_equal(blk.reads, 2);
	assert_memory_equal(image, pristine, sizeof(image));
}

static void a_write_changes_the_image_and_says_ok(void **state)
{
	(void)state;
	driver_start(1);
	memset(at(DATA), 0x5a, 3 * 512);
	assert_int_equal(blk_request(BLK_T_OUT, 4, 3 * 512), BLK_S_OK);
	assert_int_equal(used_len(0, 0), 1); /* only the status byte was written */
	for (unsigned i = 0; i < sizeof(image); i++)
		if (image[i] != (i >= 4 * 512 && i < 7 * 512 ? 0x5a : pristine[i]))
			fail_msg("byte %u of the image is %#x", i, image[i]);
	assert_int_equal(blk.writes, 1);
	/* Read back through the device. */
	memset(at(DATA), 0, 512);
	assert_int_equal(blk_request(BLK_T_IN, 6, 512), BLK_S_OK);
	assert_int_equal(at(DATA)[0], 0x5a);
	assert_int_equal(at(DATA)[511], 0x5a);
}

/* How Linux sends most requests: one descriptor pointing at an indirect table, the data split
 * over pages. */
static void a_request_through_an_indirect_table_with_split_data(void **state)
{
	(void)state;
	driver_start(1);
	const uint64_t table = BUF + 0x9000;
	blk_header(BLK_T_IN, 3);
	*at(STATUS) = 0xff;
	uint8_t *d = at(table);
	const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} entries[4] = {
		{ HEADER, 16, VQ_DESC_F_NEXT, 1 },
		{ DATA + 0x2000, 100, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 2 },
		{ DATA, 412 + 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 3 },
		{ STATUS, 1, VQ_DESC_F_WRITE, 0 },
	};
	for (unsigned i = 0; i < 4; i++) {
		memcpy(d + 16 * i, &entries[i].addr, 8);
		memcpy(d + 16 * i + 8, &entries[i].len, 4);
		memcpy(d + 16 * i + 12, &entries[i].flags, 2);
		memcpy(d + 16 * i + 14, &entries[i].next, 2);
	}
	put_desc(0, 5, table, 4 * 16, VQ_DESC_F_INDIRECT, 0);
	offer(0, 5);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_id(0, 0), 5);
	assert_int_equal(used_len(0, 0), 1024 + 1);
	assert_int_equal(*at(STATUS), BLK_S_OK);
	assert_memory_equal(at(DATA + 0x2000), image + 3 * 512, 100);
	assert_memory_equal(at(DATA), image + 3 * 512 + 100, 412 + 512);
}

static void a_request_past_the_end_is_an_io_error(void **state)
{
	(void)state;
	driver_start(1);
	memset(at(DATA), 0x33, 4096);
	assert_int_equal(blk_request(BLK_T_IN, DISK_SECTS - 1, 2 * 512), BLK_S_IOERR);
	assert_int_equal(blk_request(BLK_T_IN, DISK_SECTS, 512), BLK_S_IOERR);
	assert_int_equal(blk_request(BLK_T_IN, UINT64_MAX, 512), BLK_S_IOERR);
	assert_int_equal(blk_request(BLK_T_IN, 1ull << 55, 512), BLK_S_IOERR);
	assert_int_equal(at(DATA)[0], 0x33); /* nothing was copied */
	assert_int_equal(blk_request(BLK_T_OUT, DISK_SECTS - 1, 2 * 512), BLK_S_IOERR);
	assert_int_equal(blk_request(BLK_T_OUT, UINT64_MAX - 1, 512), BLK_S_IOERR);
	assert_int_equal(blk_request(BLK_T_IN, 0, 100), BLK_S_IOERR); /* not whole sectors */
	assert_memory_equal(image, pristine, sizeof(image));
	assert_int_equal(blk.reads + blk.writes, 0);
	assert_false(needs_reset()); /* the driver's mistake, not a broken queue */
}

static void a_write_to_a_read_only_disk_is_an_io_error(void **state)
{
	(void)state;
	blk_up(true);
	driver_start(1);
	memset(at(DATA), 0x5a, 512);
	assert_int_equal(blk_request(BLK_T_OUT, 0, 512), BLK_S_IOERR);
	assert_memory_equal(image, pristine, sizeof(image));
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK); /* reads still work */
	assert_memory_equal(at(DATA), pristine, 512);
}

static void get_id_names_the_disk_and_others_are_unsupported(void **state)
{
	(void)state;
	driver_start(1);
	memset(at(DATA), 0xff, 64);
	assert_int_equal(blk_request(BLK_T_GET_ID, 0, 20), BLK_S_OK);
	assert_memory_equal(at(DATA), "kan-disk\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(at(DATA)[20], 0xff);
	assert_int_equal(used_len(0, 0), 21);
	assert_int_equal(blk_request(BLK_T_FLUSH, 0, 0), BLK_S_OK);
	assert_int_equal(blk_request(11, 0, 0), 2); /* DISCARD, not offered: UNSUPP */
	assert_memory_equal(image, pristine, sizeof(image));
}

static void a_descriptor_loop_needs_a_reset_until_the_driver_resets(void **state)
{
	(void)state;
	driver_start(1);
	put_desc(0, 0, HEADER, 16, VQ_DESC_F_NEXT, 1);
	put_desc(0, 1, DATA, 512, VQ_DESC_F_NEXT, 0);
	offer(0, 0);
	assert_true(needs_reset());
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	assert_int_equal(irqs, 1);
	assert_int_equal(messages, 1);
	assert_non_null(strstr(message, "loop"));
	/* A good request now is not served: the device waits for its reset. */
	blk_header(BLK_T_IN, 0);
	put_desc(0, 2, HEADER, 16, VQ_DESC_F_NEXT, 3);
	put_desc(0, 3, STATUS, 1, VQ_DESC_F_WRITE, 0);
	uint64_t errors = blk.transport.stats.errors;
	offer(0, 2);
	offer(0, 2);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(messages, 1);
	assert_int_equal(irqs, 1);
	assert_int_equal(blk.transport.stats.errors, errors); /* the queue was not even read */
	/* Status 0: a new device; set up again, it serves requests. */
	wr(REG_STATUS, 0);
	assert_int_equal(rd(REG_STATUS), 0);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0);
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_READY), 0);
	driver_start(1);
	assert_int_equal(blk_request(BLK_T_IN, 1, 512), BLK_S_OK);
	assert_memory_equal(at(DATA), image + 512, 512);
}

/* A device kan broke for another reason serves nothing either, though its queue is fine. */
static void a_device_that_needs_a_reset_serves_nothing(void **state)
{
	(void)state;
	driver_start(1);
	virtio_mmio_fail(dev, "test");
	blk_header(BLK_T_IN, 0);
	put_desc(0, 0, HEADER, 16, VQ_DESC_F_NEXT, 1);
	put_desc(0, 1, STATUS, 1, VQ_DESC_F_WRITE, 0);
	offer(0, 0);
	assert_int_equal(used_idx(0), 0);
	assert_false(virtio_queue_live(dev, 0));
}

static void notifies_before_driver_ok_are_ignored(void **state)
{
	(void)state;
	driver_start(1);
	wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK); /* DRIVER_OK cleared */
	blk_header(BLK_T_IN, 0);
	put_desc(0, 0, HEADER, 16, VQ_DESC_F_NEXT, 1);
	put_desc(0, 1, STATUS, 1, VQ_DESC_F_WRITE, 0);
	offer(0, 0);
	assert_int_equal(used_idx(0), 0);
	wr(REG_QUEUE_NOTIFY, 1); /* no such queue */
	wr(REG_QUEUE_NOTIFY, 0xffffffff);
	assert_false(needs_reset());
}

static void an_interrupt_only_when_interrupt_status_rises(void **state)
{
	(void)state;
	driver_start(1);
	assert_int_equal(irqs, 0);
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK);
	assert_int_equal(irqs, 1);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), VIRTIO_INT_USED);
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK); /* still pending: no edge */
	assert_int_equal(irqs, 1);
	wr(REG_INTERRUPT_ACK, VIRTIO_INT_USED);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0);
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK);
	assert_int_equal(irqs, 2);
	wr(REG_INTERRUPT_ACK, VIRTIO_INT_USED);
	/* The driver asked for none. */
	put16(AVAIL(0), VQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK);
	assert_int_equal(irqs, 2);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0);
	/* A failure while USED is pending sets CONFIG without a second edge. */
	put16(AVAIL(0), 0);
	assert_int_equal(blk_request(BLK_T_IN, 0, 512), BLK_S_OK);
	assert_int_equal(irqs, 3);
	virtio_mmio_fail(dev, "test");
	assert_int_equal(rd(REG_INTERRUPT_STATUS), VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
	assert_int_equal(irqs, 3);
}

static void narrow_or_unaligned_register_reads_give_0(void **state)
{
	(void)state;
	assert_int_equal(rd_sized(REG_MAGIC, 4), 0x74726976);
	assert_int_equal(rd_sized(REG_MAGIC, 1), 0);
	assert_int_equal(rd_sized(REG_MAGIC, 2), 0);
	assert_int_equal(rd_sized(REG_MAGIC, 8), 0);
	assert_int_equal(rd_sized(REG_MAGIC + 1, 4), 0);
	assert_int_equal(rd_sized(REG_VERSION + 2, 2), 0);
	assert_int_equal(rd_sized(REG_CONFIG_GENERATION + 1, 2), 0);
	/* Narrow writes do nothing either. */
	uint64_t v = VIRTIO_STATUS_ACKNOWLEDGE;
	virtio_mmio_access(dev, REG_STATUS, 1, true, &v);
	virtio_mmio_access(dev, REG_STATUS + 1, 4, true, &v);
	assert_int_equal(rd(REG_STATUS), 0);
}

static void the_disks_config_space_holds_its_capacity(void **state)
{
	(void)state;
	assert_int_equal(rd_sized(REG_CONFIG, 8), DISK_SECTS);
	assert_int_equal(rd_sized(REG_CONFIG, 4), DISK_SECTS);
	assert_int_equal(rd_sized(REG_CONFIG + 4, 4), 0);
	assert_int_equal(rd_sized(REG_CONFIG + 16, 4), 0);
	assert_int_equal(rd_sized(REG_CONFIG + 14, 4), 0); /* runs past the end */
	assert_int_equal(rd_sized(VIRTIO_MMIO_SIZE - 4, 4), 0);
}

/* ---- virtio-net ---- */

#define RX	0
#define TX	1
#define NET_HDR 12

static struct vswitch *lan;
static struct vswitch_port peer;
static struct vswitch_frame net_inbox[VSWITCH_INBOX], peer_inbox[VSWITCH_INBOX];
static const uint8_t net_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };

static int net_setup(void **state)
{
	(void)state;
	virtio_net_init(&net, net_mac, "vm2", mem);
	net.transport.raise_irq = raise_irq;
	net.transport.irq_ctx = &irqs;
	net.transport.irq = 5;
	dev = &net.transport;
	irqs = messages = 0;
	lan = vswitch_get("lan");
	assert_non_null(lan);
	memset(&peer, 0, sizeof(peer));
	assert_true(vswitch_attach(lan, &net.port, net_inbox));
	assert_true(vswitch_attach(lan, &peer, peer_inbox));
	driver_start(2);
	return 0;
}

static int net_teardown(void **state)
{
	(void)state;
	vswitch_detach(&net.port);
	vswitch_detach(&peer);
	return 0;
}

/* An Ethernet frame of `len` bytes from `src` to `dst`, its payload bytes `tag`. */
static void make_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint8_t tag,
		       unsigned len)
{
	memset(f, tag, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
}

/* The driver sends a frame: its header and the frame in two descriptors. */
static void transmit(uint16_t head, const uint8_t *frame, unsigned len)
{
	uint64_t hdr = BUF + 0x4000 * head, data = hdr + 0x100;
	memset(at(hdr), 0, NET_HDR);
	memcpy(at(data), frame, len);
	put_desc(TX, head, hdr, NET_HDR, VQ_DESC_F_NEXT, head + 1);
	put_desc(TX, head + 1, data, len, 0, 0);
	offer(TX, head);
}

static void a_sent_frame_reaches_the_peer(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX], got[VSWITCH_FRAME_MAX];
	unsigned len = 0;
	make_frame(f, peer_mac, net_mac, 0x42, 98);
	transmit(0, f, 98);
	assert_int_equal(used_idx(TX), 1);
	assert_int_equal(used_len(TX, 0), 0);
	assert_true(vswitch_receive(&peer, got, &len));
	assert_int_equal(len, 98);
	assert_memory_equal(got, f, 98);
	assert_false(vswitch_pending(&peer));
	assert_int_equal(irqs, 1);
	/* The largest frame passes too. */
	make_frame(f, peer_mac, net_mac, 0x43, VSWITCH_FRAME_MAX);
	transmit(2, f, VSWITCH_FRAME_MAX);
	assert_true(vswitch_receive(&peer, got, &len));
	assert_int_equal(len, VSWITCH_FRAME_MAX);
	assert_memory_equal(got, f, VSWITCH_FRAME_MAX);
}

/* Linux puts the header in front of the frame when it has room: one descriptor for both. */
static void a_frame_behind_its_header_in_one_buffer_is_sent(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX], got[VSWITCH_FRAME_MAX];
	unsigned len = 0;
	make_frame(f, peer_mac, net_mac, 0x44, 60);
	memset(at(BUF), 0, NET_HDR);
	memcpy(at(BUF + NET_HDR), f, 60);
	put_desc(TX, 0, BUF, NET_HDR + 60, 0, 0);
	offer(TX, 0);
	assert_true(vswitch_receive(&peer, got, &len));
	assert_int_equal(len, 60);
	assert_memory_equal(got, f, 60);
}

static void runt_and_oversized_sends_are_dropped(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX + 1];
	make_frame(f, peer_mac, net_mac, 0x42, VSWITCH_FRAME_MAX + 1);
	transmit(0, f, VSWITCH_FRAME_MIN - 1);
	transmit(2, f, VSWITCH_FRAME_MAX + 1);
	/* Only a header, and not even that. */
	put_desc(TX, 4, BUF, NET_HDR, 0, 0);
	offer(TX, 4);
	put_desc(TX, 5, BUF, 4, 0, 0);
	offer(TX, 5);
	assert_int_equal(used_idx(TX), 4); /* each returned to the driver */
	assert_false(vswitch_pending(&peer));
	assert_int_equal(net.transport.stats.errors, 4);
	assert_false(needs_reset());
}

/* The driver posts a receive buffer of `len` bytes as descriptor `head`. */
static void post_rx(uint16_t head, uint32_t len)
{
	put_desc(RX, head, BUF + 0x4000 * head, len, VQ_DESC_F_WRITE, 0);
	offer(RX, head);
}

static void a_received_frame_fills_a_posted_buffer(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX];
	make_frame(f, net_mac, peer_mac, 0x77, 80);
	/* A buffer first, then the frame: it waits for the VM's CPU to poll. */
	post_rx(0, NET_HDR + VSWITCH_FRAME_MAX);
	assert_int_equal(used_idx(RX), 0);
	memset(at(BUF), 0xee, 0x1000);
	vswitch_send(&peer, f, 80);
	assert_true(vswitch_pending(&net.port));
	virtio_net_poll(&net);
	assert_false(vswitch_pending(&net.port));
	assert_int_equal(used_idx(RX), 1);
	assert_int_equal(used_id(RX, 0), 0);
	assert_int_equal(used_len(RX, 0), NET_HDR + 80);
	static const uint8_t header[NET_HDR] = { [10] = 1 }; /* num_buffers 1, the rest 0 */
	assert_memory_equal(at(BUF), header, NET_HDR);
	assert_memory_equal(at(BUF + NET_HDR), f, 80);
	assert_int_equal(at(BUF + NET_HDR + 80)[0], 0xee);
	assert_int_equal(irqs, 1);
	/* The frame first, then the buffer: the notification brings it in. */
	make_frame(f, net_mac, peer_mac, 0x78, 60);
	vswitch_send(&peer, f, 60);
	post_rx(1, NET_HDR + VSWITCH_FRAME_MAX);
	assert_int_equal(used_idx(RX), 2);
	assert_int_equal(used_len(RX, 1), NET_HDR + 60);
	assert_memory_equal(at(BUF + 0x4000 + NET_HDR), f, 60);
	/* A poll with nothing waiting takes no buffer. */
	post_rx(2, NET_HDR + VSWITCH_FRAME_MAX);
	virtio_net_poll(&net);
	assert_int_equal(used_idx(RX), 2);
}

static void a_frame_too_big_for_its_buffer_is_dropped(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX];
	make_frame(f, net_mac, peer_mac, 0x77, 200);
	vswitch_send(&peer, f, 200);
	memset(at(BUF), 0xee, 0x1000);
	post_rx(0, NET_HDR + 199); /* room for the frame, not for its header too */
	assert_int_equal(used_idx(RX), 1);
	assert_int_equal(used_len(RX, 0), 0);
	assert_int_equal(at(BUF)[0], 0xee); /* nothing written */
	assert_int_equal(at(BUF + NET_HDR)[0], 0xee);
	assert_false(vswitch_pending(&net.port));
}

static void nothing_is_received_before_driver_ok(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX];
	make_frame(f, net_mac, peer_mac, 0x77, 60);
	vswitch_send(&peer, f, 60);
	wr(REG_STATUS, 0); /* reset: the inbox is emptied too */
	assert_false(vswitch_pending(&net.port));
	vswitch_send(&peer, f, 60);
	virtio_net_poll(&net); /* no queue: the frame waits */
	assert_true(vswitch_pending(&net.port));
	assert_int_equal(used_idx(RX), 0);
}

static void the_nics_config_space_is_its_mac(void **state)
{
	(void)state;
	uint64_t want = 0;
	memcpy(&want, net_mac, 6);
	assert_true(device_features() & NET_F_MAC);
	assert_int_equal(rd_sized(REG_CONFIG, 4), (uint32_t)want);
	assert_int_equal(rd_sized(REG_CONFIG + 4, 2), (uint16_t)(want >> 32));
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd_sized(REG_CONFIG + i, 1), net_mac[i]);
	assert_int_equal(rd_sized(REG_CONFIG + 6, 1), 0);
	assert_int_equal(rd_sized(REG_CONFIG + 4, 4), 0); /* runs past the MAC */
	assert_int_equal(rd_sized(REG_CONFIG + 8, 8), 0);
}

/* ---- the MMIO bus the windows hang on ---- */

static void handler(void *device, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
	(void)device, (void)offset, (void)size, (void)write, (void)value;
}

static void the_bus_finds_the_window_holding_the_whole_access(void **state)
{
	(void)state;
	static struct mmiobus bus;
	static int one, two;
	const uint64_t base = 0xfe000000u;
	assert_true(mmiobus_register(&bus, base, VIRTIO_MMIO_SIZE, handler, &one));
	assert_true(
		mmiobus_register(&bus, base + VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE, handler, &two));
	assert_ptr_equal(mmiobus_find(&bus, base, 4)->device, &one);
	assert_ptr_equal(mmiobus_find(&bus, base + 0xffc, 4)->device, &one);
	assert_ptr_equal(mmiobus_find(&bus, base + 0x1000, 8)->device, &two);
	assert_ptr_equal(mmiobus_find(&bus, base + 0x1ff8, 8)->device, &two);
	assert_int_equal(mmiobus_find(&bus, base + 0x1000, 4)->base, base + 0x1000);
	assert_null(mmiobus_find(&bus, base + 0xffe, 4));  /* across two windows */
	assert_null(mmiobus_find(&bus, base + 0x1ffc, 8)); /* past the last one */
	assert_null(mmiobus_find(&bus, base + 0x2000, 1));
	assert_null(mmiobus_find(&bus, base - 1, 1));
	assert_null(mmiobus_find(&bus, base - 2, 4)); /* runs into the first one */
	assert_null(mmiobus_find(&bus, UINT64_MAX - 1, 4));
	while (bus.count < MMIOBUS_MAX_DEVICES)
		assert_true(mmiobus_register(&bus, 0x1000 * bus.count, 0x1000, handler, NULL));
	assert_false(mmiobus_register(&bus, 0x100000, 0x1000, handler, NULL));
}

int main(void)
{
#define BLK(name) cmocka_unit_test_setup(name, blk_setup)
#define NET(name) cmocka_unit_test_setup_teardown(name, net_setup, net_teardown)
	const struct CMUnitTest tests[] = {
		BLK(the_device_says_what_it_is),
		BLK(features_are_offered_by_halves),
		BLK(features_ok_needs_version_1_and_only_offered_bits),
		BLK(queue_num_max_is_offered_for_existing_queues_only),
		BLK(a_queue_with_a_bad_size_or_outside_ram_needs_a_reset),
		BLK(repeated_failures_are_shown_a_few_times_then_counted),
		BLK(queues_wait_for_accepted_features),
		BLK(queue_registers_are_fixed_while_it_is_ready),
		BLK(a_read_copies_the_sectors_and_says_ok),
		BLK(a_copy_of_the_transport_goes_on_with_the_drivers_queue),
		BLK(a_write_changes_the_image_and_says_ok),
		BLK(a_request_through_an_indirect_table_with_split_data),
		BLK(a_request_past_the_end_is_an_io_error),
		BLK(a_write_to_a_read_only_disk_is_an_io_error),
		BLK(get_id_names_the_disk_and_others_are_unsupported),
		BLK(a_descriptor_loop_needs_a_reset_until_the_driver_resets),
		BLK(a_device_that_needs_a_reset_serves_nothing),
		BLK(notifies_before_driver_ok_are_ignored),
		BLK(an_interrupt_only_when_interrupt_status_rises),
		BLK(narrow_or_unaligned_register_reads_give_0),
		BLK(the_disks_config_space_holds_its_capacity),
		NET(a_sent_frame_reaches_the_peer),
		NET(a_frame_behind_its_header_in_one_buffer_is_sent),
		NET(runt_and_oversized_sends_are_dropped),
		NET(a_received_frame_fills_a_posted_buffer),
		NET(a_frame_too_big_for_its_buffer_is_dropped),
		NET(nothing_is_received_before_driver_ok),
		NET(the_nics_config_space_is_its_mac),
		cmocka_unit_test(the_bus_finds_the_window_holding_the_whole_access),
	};
#undef BLK
#undef NET
	return cmocka_run_group_tests_name("virtio_devices", tests, NULL, NULL);
}
