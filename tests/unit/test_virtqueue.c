/* Split virtqueues, the device's side (kernel/devices/virtqueue.c): good chains and hostile ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/virtqueue.h"

/* A fake guest RAM of 1 MiB at 1 GiB, so that address 0 lies outside it. */
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define DESC	 (RAM_BASE + 0x0000)
#define AVAIL	 (RAM_BASE + 0x1000)
#define USED	 (RAM_BASE + 0x2000)
#define TABLE	 (RAM_BASE + 0x4000) /* an indirect table */
#define TABLE2	 (RAM_BASE + 0x8000)
#define BUF	 (RAM_BASE + 0x10000)

static uint8_t ram[RAM_SIZE];

static void *map_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

/* A map that computes gpa + len the naive way: a wrapping segment gets past it, so only
 * virtqueue.c's own check can refuse one. */
static void *map_naive(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa + len > RAM_BASE + RAM_SIZE)
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static const struct vq_memory mem = { .map = map_ram };
static const struct vq_memory naive = { .map = map_naive };
static struct virtqueue vq;
static struct vq_chain chain;
static const char *why;
static uint16_t avail_idx; /* the driver's side */

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

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *p = at(table + 16 * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* The driver offers chain `head` and publishes it. */
static void offer(uint16_t head)
{
	put16(AVAIL + 4 + 2 * (avail_idx & (vq.size - 1)), head);
	put16(AVAIL + 2, ++avail_idx);
}

static void queue_of(uint16_t size)
{
	memset(ram, 0, sizeof(ram));
	vq = (struct virtqueue){ .size = size, .desc = DESC, .avail = AVAIL, .used = USED };
	avail_idx = 0;
	why = NULL;
}

static int setup(void **state)
{
	(void)state;
	queue_of(8);
	return 0;
}

static void expect_broken(const char *reason)
{
	uint16_t before = vq.next_avail;
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_BROKEN);
	assert_non_null(why);
	assert_string_equal(why, reason);
	assert_int_equal(vq.next_avail, before);
}

static void expect_broken_naive(const char *reason)
{
	assert_int_equal(vq_pop(&vq, &naive, &chain, &why), VQ_BROKEN);
	assert_string_equal(why, reason);
}

static void test_good_chain(void **state)
{
	(void)state;
	put_desc(DESC, 3, BUF, 16, VQ_DESC_F_NEXT, 5);
	put_desc(DESC, 5, BUF + 0x100, 512, VQ_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.head, 3);
	assert_int_equal(chain.count, 2);
	assert_int_equal(chain.seg[0].gpa, BUF);
	assert_int_equal(chain.seg[0].len, 16);
	assert_false(chain.seg[0].device_writes);
	assert_int_equal(chain.seg[1].gpa, BUF + 0x100);
	assert_true(chain.seg[1].device_writes);
	assert_int_equal(chain.readable, 16);
	assert_int_equal(chain.writable, 512);
	assert_int_equal(vq.next_avail, 1);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_EMPTY);
}

static void test_readable_and_writable_chain(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, BUF + 0x10, 4096, VQ_DESC_F_NEXT, 2);
	put_desc(DESC, 2, BUF + 0x2000, 4096, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 7);
	put_desc(DESC, 7, BUF + 0x3000, 1, VQ_DESC_F_WRITE, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.count, 4);
	assert_int_equal(chain.readable, 16 + 4096);
	assert_int_equal(chain.writable, 4096 + 1);
	assert_true(chain.seg[3].device_writes);
	assert_int_equal(chain.seg[3].gpa, BUF + 0x3000);
}

static void test_indirect_table(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 16, VQ_DESC_F_NEXT, 2);
	put_desc(TABLE, 2, BUF + 0x100, 64, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	put_desc(TABLE, 1, BUF + 0x200, 1, VQ_DESC_F_WRITE, 0);
	put_desc(DESC, 4, TABLE, 3 * 16, VQ_DESC_F_INDIRECT, 0);
	offer(4);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.head, 4);
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.seg[1].gpa, BUF + 0x100);
	assert_int_equal(chain.readable, 16);
	assert_int_equal(chain.writable, 65);
}

/* Direct descriptors may lead to the one indirect table that ends the chain. */
static void test_direct_then_indirect(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF + 0x100, 32, VQ_DESC_F_WRITE, 0);
	put_desc(DESC, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, TABLE, 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_WRITE, 0); /* WRITE ignored */
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.count, 2);
	assert_int_equal(chain.readable, 16);
	assert_int_equal(chain.writable, 32);
}

static void test_empty_queue(void **state)
{
	(void)state;
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_EMPTY);
	assert_int_equal(vq.next_avail, 0);
}

/* Both indices run past 65535 and wrap; the ring positions follow them modulo the size. */
static void test_index_wrap(void **state)
{
	(void)state;
	vq.next_avail = vq.next_used = avail_idx = 65534;
	put16(AVAIL + 2, avail_idx);
	for (unsigned i = 0; i < 3; i++) {
		put_desc(DESC, i, BUF + 0x100 * i, 8, 0, 0);
		offer((uint16_t)i);
	}
	assert_int_equal(get16(AVAIL + 2), 1);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
		assert_int_equal(chain.head, i);
		assert_true(vq_push(&vq, &mem, chain.head, 0, &why));
	}
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_EMPTY);
	assert_int_equal(vq.next_avail, 1);
	assert_int_equal(get16(USED + 2), 1);
	/* 65534 % 8 = 6, 65535 % 8 = 7, then 0. */
	assert_int_equal(get32(USED + 4 + 8 * 6), 0);
	assert_int_equal(get32(USED + 4 + 8 * 7), 1);
	assert_int_equal(get32(USED + 4 + 8 * 0), 2);
}

static void test_full_queue_is_fine(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		put_desc(DESC, i, BUF, 8, 0, 0);
		offer((uint16_t)i);
	}
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_EMPTY);
}

static void test_descriptor_loop(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, BUF, 8, VQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken("descriptor loop");
}

/* A chain through all 8 entries is no loop; a ninth step is. */
static void test_loop_through_the_whole_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++)
		put_desc(DESC, i, BUF, 8, VQ_DESC_F_NEXT, (uint16_t)((i + 1) % 8));
	put_desc(DESC, 7, BUF, 8, 0, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.count, 8);
	put_desc(DESC, 7, BUF, 8, VQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken("descriptor loop");
}

static void test_loop_in_indirect_table(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, BUF, 8, VQ_DESC_F_NEXT, 0);
	put_desc(DESC, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("loop in an indirect table");
}

static void test_indirect_table_pointing_at_itself(void **state)
{
	(void)state;
	put_desc(TABLE, 0, TABLE, 16, VQ_DESC_F_INDIRECT, 0);
	put_desc(DESC, 0, TABLE, 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table holding another INDIRECT");
}

static void test_nested_indirect(void **state)
{
	(void)state;
	put_desc(TABLE2, 0, BUF, 8, 0, 0);
	put_desc(TABLE, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, TABLE2, 16, VQ_DESC_F_INDIRECT, 0);
	put_desc(DESC, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table holding another INDIRECT");
}

static void test_indirect_with_next(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 8, 0, 0);
	put_desc(DESC, 0, TABLE, 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, TABLE, 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("INDIRECT together with NEXT");
}

static void test_indirect_table_malformed(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 8, 0, 0);
	put_desc(DESC, 0, TABLE, 0, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("empty indirect table");
	put_desc(DESC, 0, TABLE, 24, VQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table not a multiple of 16 bytes");
	put_desc(DESC, 0, 0x7fff0000000ull, 16, VQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table wraps or lies outside RAM");
	put_desc(DESC, 0, RAM_BASE + RAM_SIZE - 16, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table wraps or lies outside RAM");
	put_desc(DESC, 0, UINT64_MAX - 15, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken_naive("indirect table wraps or lies outside RAM");
}

static void test_huge_indirect_table(void **state)
{
	(void)state;
	/* 256 entries, a chain of one: fine. */
	put_desc(TABLE, 0, BUF, 8, 0, 0);
	put_desc(DESC, 0, TABLE, 16 * 256, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	put_desc(DESC, 0, TABLE, 16 * 257, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table of more than 256 entries");
	put_desc(DESC, 0, TABLE, 0xfffffff0u, VQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table of more than 256 entries");
}

static void test_indirect_next_beyond_table(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 8, VQ_DESC_F_NEXT, 2); /* the table has 2 entries */
	put_desc(TABLE, 2, BUF, 8, 0, 0);
	put_desc(DESC, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("next index beyond the table");
}

static void test_segment_outside_ram(void **state)
{
	(void)state;
	put_desc(DESC, 0, 0x7fff0000000ull, 512, 0, 0);
	offer(0);
	expect_broken("segment outside RAM");
	put_desc(DESC, 0, 0, 0, 0, 0);
	expect_broken("segment outside RAM");
	put_desc(DESC, 0, RAM_BASE + RAM_SIZE - 8, 9, VQ_DESC_F_WRITE, 0); /* one byte over */
	expect_broken("segment outside RAM");
	put_desc(DESC, 0, RAM_BASE + RAM_SIZE - 8, 8, VQ_DESC_F_WRITE, 0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
}

static void test_segment_wrapping(void **state)
{
	(void)state;
	/* 0xffffffffffffff00 + 0x40000200 wraps to 0x40000100: inside RAM for a naive map. */
	put_desc(DESC, 0, 0xffffffffffffff00ull, 0x40000200u, VQ_DESC_F_WRITE, 0);
	offer(0);
	expect_broken_naive("segment wraps past the top of the address space");
	expect_broken("segment wraps past the top of the address space");
}

static void test_avail_index_jump(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, 0, 0);
	put16(AVAIL + 2, 9);
	expect_broken("avail index further ahead than the queue size");
	put16(AVAIL + 2, 0x8000);
	expect_broken("avail index further ahead than the queue size");
	put16(AVAIL + 2, 0xffff); /* "behind" is just as far ahead, modulo 2^16 */
	expect_broken("avail index further ahead than the queue size");
}

/* 65 segments in a queue of 128: the segment limit, not the loop bound, stops it. */
static void test_too_many_segments(void **state)
{
	(void)state;
	queue_of(128);
	for (unsigned i = 0; i < 65; i++)
		put_desc(DESC, i, BUF, 8, VQ_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(DESC, 63, BUF, 8, 0, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_int_equal(chain.count, VQ_CHAIN_MAX);
	put_desc(DESC, 63, BUF, 8, VQ_DESC_F_NEXT, 64);
	put_desc(DESC, 64, BUF, 8, 0, 0);
	offer(0);
	expect_broken("more than 64 segments in a chain");
}

/* Direct and indirect segments count together. */
static void test_too_many_segments_with_indirect(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 60; i++)
		put_desc(TABLE, i, BUF, 8, VQ_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(TABLE, 59, BUF, 8, 0, 0);
	for (unsigned i = 0; i < 5; i++)
		put_desc(DESC, i, BUF, 8, VQ_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(DESC, 5, TABLE, 60 * 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("more than 64 segments in a chain");
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	put_desc(DESC, 1, BUF, 8, 0, 0);
	offer(0);
	expect_broken("readable segment after a writable one");
}

static void test_readable_after_writable_in_indirect(void **state)
{
	(void)state;
	put_desc(TABLE, 0, BUF, 8, 0, 0);
	put_desc(DESC, 0, BUF, 8, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	put_desc(DESC, 1, TABLE, 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("readable segment after a writable one");
}

static void test_head_beyond_queue(void **state)
{
	(void)state;
	offer(8);
	expect_broken("head index beyond the queue");
	put16(AVAIL + 4, 0xffff);
	expect_broken("head index beyond the queue");
}

static void test_next_beyond_queue(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, VQ_DESC_F_NEXT, 8);
	offer(0);
	expect_broken("next index beyond the table");
}

static void test_layout(void **state)
{
	(void)state;
	assert_true(vq_check_layout(&vq, &mem, &why));
	static const uint16_t bad_sizes[] = { 0, 3, 6, 255, 512, 0x8000, 0xffff };
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		vq.size = bad_sizes[i];
		assert_false(vq_check_layout(&vq, &mem, &why));
		assert_string_equal(why, "queue size is not a power of two up to 256");
		/* vq_pop re-checks: a size changed under it is refused, not divided by. */
		assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_BROKEN);
	}
	vq.size = 256;
	assert_true(vq_check_layout(&vq, &mem, &why));
	vq.desc = DESC + 8;
	assert_false(vq_check_layout(&vq, &mem, &why));
	assert_string_equal(why, "descriptor table misaligned or outside RAM");
	vq.desc = RAM_BASE + RAM_SIZE - 16 * 255; /* one entry short */
	assert_false(vq_check_layout(&vq, &mem, &why));
	vq.desc = UINT64_MAX - 15; /* its 4 KiB wrap to 0xff0: below RAM's end for a naive map */
	assert_false(vq_check_layout(&vq, &naive, &why));
	assert_string_equal(why, "descriptor table misaligned or outside RAM");
	vq.desc = DESC;
	vq.avail = AVAIL + 1;
	assert_false(vq_check_layout(&vq, &mem, &why));
	assert_string_equal(why, "avail ring misaligned or outside RAM");
	vq.avail = RAM_BASE + RAM_SIZE - (6 + 2 * 256) + 2; /* two bytes over */
	assert_false(vq_check_layout(&vq, &mem, &why));
	vq.avail = AVAIL;
	vq.used = USED + 2;
	assert_false(vq_check_layout(&vq, &mem, &why));
	assert_string_equal(why, "used ring misaligned or outside RAM");
	vq.used = 0x7fff0000000ull;
	assert_false(vq_check_layout(&vq, &mem, &why));
	vq.used = RAM_BASE + RAM_SIZE - (8 + 8 * 256); /* aligned, 2 bytes to spare */
	assert_true(vq_check_layout(&vq, &mem, &why));
}

static void test_pop_rechecks_rings(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, 0, 0);
	offer(0);
	vq.avail = 0x7fff0000000ull;
	expect_broken("avail ring misaligned or outside RAM");
}

static void test_push(void **state)
{
	(void)state;
	put_desc(DESC, 5, BUF, 8, VQ_DESC_F_WRITE, 0);
	offer(5);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_true(vq_push(&vq, &mem, chain.head, 8, &why));
	assert_int_equal(get32(USED + 4), 5);
	assert_int_equal(get32(USED + 8), 8);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(vq.next_used, 1);
	assert_false(vq_push(&vq, &mem, 8, 0, &why));
	assert_string_equal(why, "pushed head index beyond the queue");
	vq.used = RAM_BASE + RAM_SIZE - 8;
	assert_false(vq_push(&vq, &mem, 5, 0, &why));
	assert_string_equal(why, "used ring misaligned or outside RAM");
	assert_int_equal(vq.next_used, 1);
}

static void test_read_and_write(void **state)
{
	(void)state;
	memcpy(at(BUF), "hello, ", 7);
	memcpy(at(BUF + 0x100), "world", 5);
	put_desc(DESC, 0, BUF, 7, VQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, BUF + 0x100, 5, VQ_DESC_F_NEXT, 2);
	put_desc(DESC, 2, BUF + 0x200, 3, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 3);
	put_desc(DESC, 3, BUF + 0x300, 4, VQ_DESC_F_WRITE, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);

	char buf[32] = { 0 };
	assert_int_equal(vq_read(&chain, &mem, 0, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "hello, world", 12);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(vq_read(&chain, &mem, 5, buf, 4), 4);
	assert_memory_equal(buf, ", wo", 4);
	assert_int_equal(vq_read(&chain, &mem, 12, buf, 4), 0);

	assert_int_equal(vq_write(&chain, &mem, 1, "ABCDEFGH", 8), 6);
	assert_memory_equal(at(BUF + 0x200), "\0AB", 3);
	assert_memory_equal(at(BUF + 0x300), "CDEF", 4);
	assert_memory_equal(at(BUF), "hello, ", 7); /* the readable part is left alone */
	assert_int_equal(vq_write(&chain, &mem, 7, "x", 1), 0);
}

static void test_has_available(void **state)
{
	(void)state;
	assert_false(vq_has_available(&vq, &mem));
	put_desc(DESC, 0, BUF, 8, 0, 0);
	offer(0);
	assert_true(vq_has_available(&vq, &mem));
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_false(vq_has_available(&vq, &mem));
	offer(0);
	vq.avail = 0x7fff0000000ull; /* a hint only: a ring outside RAM offers nothing */
	assert_false(vq_has_available(&vq, &mem));
}

/* Each call maps only the areas it uses: a used ring gone from RAM fails the push, not the pop. */
static void test_pop_needs_no_used_ring(void **state)
{
	(void)state;
	put_desc(DESC, 0, BUF, 8, 0, 0);
	offer(0);
	vq.used = 0x7fff0000000ull;
	assert_int_equal(vq_pop(&vq, &mem, &chain, &why), VQ_GOT_CHAIN);
	assert_false(vq_push(&vq, &mem, chain.head, 0, &why));
	assert_string_equal(why, "used ring misaligned or outside RAM");
}

static void test_wants_interrupt(void **state)
{
	(void)state;
	assert_true(vq_wants_interrupt(&vq, &mem));
	put16(AVAIL, VQ_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_wants_interrupt(&vq, &mem));
	put16(AVAIL, 0xfffe);
	assert_true(vq_wants_interrupt(&vq, &mem));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good_chain, setup),
		cmocka_unit_test_setup(test_readable_and_writable_chain, setup),
		cmocka_unit_test_setup(test_indirect_table, setup),
		cmocka_unit_test_setup(test_direct_then_indirect, setup),
		cmocka_unit_test_setup(test_empty_queue, setup),
		cmocka_unit_test_setup(test_index_wrap, setup),
		cmocka_unit_test_setup(test_full_queue_is_fine, setup),
		cmocka_unit_test_setup(test_descriptor_loop, setup),
		cmocka_unit_test_setup(test_loop_through_the_whole_table, setup),
		cmocka_unit_test_setup(test_loop_in_indirect_table, setup),
		cmocka_unit_test_setup(test_indirect_table_pointing_at_itself, setup),
		cmocka_unit_test_setup(test_nested_indirect, setup),
		cmocka_unit_test_setup(test_indirect_with_next, setup),
		cmocka_unit_test_setup(test_indirect_table_malformed, setup),
		cmocka_unit_test_setup(test_huge_indirect_table, setup),
		cmocka_unit_test_setup(test_indirect_next_beyond_table, setup),
		cmocka_unit_test_setup(test_segment_outside_ram, setup),
		cmocka_unit_test_setup(test_segment_wrapping, setup),
		cmocka_unit_test_setup(test_avail_index_jump, setup),
		cmocka_unit_test_setup(test_too_many_segments, setup),
		cmocka_unit_test_setup(test_too_many_segments_with_indirect, setup),
		cmocka_unit_test_setup(test_readable_after_writable, setup),
		cmocka_unit_test_setup(test_readable_after_writable_in_indirect, setup),
		cmocka_unit_test_setup(test_head_beyond_queue, setup),
		cmocka_unit_test_setup(test_next_beyond_queue, setup),
		cmocka_unit_test_setup(test_layout, setup),
		cmocka_unit_test_setup(test_pop_rechecks_rings, setup),
		cmocka_unit_test_setup(test_push, setup),
		cmocka_unit_test_setup(test_read_and_write, setup),
		cmocka_unit_test_setup(test_has_available, setup),
		cmocka_unit_test_setup(test_pop_needs_no_used_ring, setup),
		cmocka_unit_test_setup(test_wants_interrupt, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
