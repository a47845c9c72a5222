/* kan's virtual switches (kernel/devices/vswitch.c): learning, flooding, inboxes, isolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/vswitch.h"

enum { A, B, C, X, PORTS }; /* A, B, C on switch "lan"; X alone on "lan2" */

static struct vswitch_port port[PORTS];
static struct vswitch_frame inbox[PORTS][VSWITCH_INBOX];
static unsigned wakes[PORTS];
static struct vswitch *lan, *lan2;

static const uint8_t mac_of[PORTS][6] = {
	{ 0x52, 0x54, 0, 0, 0, 0xa },
	{ 0x52, 0x54, 0, 0, 0, 0xb },
	{ 0x52, 0x54, 0, 0, 0, 0xc },
	{ 0x52, 0x54, 0, 0, 0, 0xd },
};
static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
static const uint8_t nobody[6] = { 0x52, 0x54, 0, 0, 0, 0xee };

static void wake(void *ctx)
{
	wakes[(struct vswitch_port *)ctx - port]++;
}

static int setup(void **state)
{
	(void)state;
	lan = vswitch_get("lan");
	lan2 = vswitch_get("lan2");
	assert_non_null(lan);
	assert_non_null(lan2);
	memset(port, 0, sizeof(port));
	memset(wakes, 0, sizeof(wakes));
	for (unsigned p = 0; p < PORTS; p++) {
		port[p].wake = wake;
		port[p].wake_ctx = &port[p];
		assert_true(vswitch_attach(p == X ? lan2 : lan, &port[p], inbox[p]));
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned p = 0; p < PORTS; p++)
		vswitch_detach(&port[p]);
	return 0;
}

/* Sends a frame of `len` bytes from port `p`: dst, src, then `tag` in every other byte. */
static void send_from(unsigned p, const uint8_t *dst, const uint8_t *src, uint8_t tag, unsigned len)
{
	uint8_t f[VSWITCH_FRAME_MAX + 16];
	memset(f, tag, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	vswitch_send(&port[p], f, len);
}

static void send(unsigned p, const uint8_t *dst, uint8_t tag)
{
	send_from(p, dst, mac_of[p], tag, 64);
}

/* How many frames wait for port `p` (taken out); the tag of the last one in *tag. */
static unsigned drain(unsigned p, uint8_t *tag)
{
	uint8_t f[VSWITCH_FRAME_MAX];
	unsigned len, n = 0;
	while (vswitch_receive(&port[p], f, &len)) {
		n++;
		if (tag && len)
			*tag = f[len - 1];
	}
	assert_false(vswitch_pending(&port[p]));
	return n;
}

static void drain_all(void)
{
	for (unsigned p = 0; p < PORTS; p++)
		drain(p, NULL);
}

/* ---- where frames go ---- */

static void a_broadcast_floods_every_other_port_not_the_sender(void **state)
{
	(void)state;
	send(A, broadcast, 1);
	assert_int_equal(drain(A, NULL), 0);
	assert_int_equal(drain(B, NULL), 1);
	assert_int_equal(drain(C, NULL), 1);
	send(B, multicast, 2);
	assert_int_equal(drain(A, NULL), 1);
	assert_int_equal(drain(B, NULL), 0);
	assert_int_equal(drain(C, NULL), 1);
}

static void an_unknown_address_floods_every_other_port(void **state)
{
	(void)state;
	send(A, nobody, 1);
	assert_int_equal(drain(A, NULL), 0);
	assert_int_equal(drain(B, NULL), 1);
	assert_int_equal(drain(C, NULL), 1);
}

static void a_learned_address_gets_its_frames_alone(void **state)
{
	(void)state;
	send(A, broadcast, 1); /* the switch learns where A is */
	drain_all();
	uint8_t tag = 0;
	send(B, mac_of[A], 7);
	assert_int_equal(drain(A, &tag), 1);
	assert_int_equal(tag, 7);
	assert_int_equal(drain(B, NULL), 0);
	assert_int_equal(drain(C, NULL), 0);
	/* And the reply goes to B alone, learned from that frame. */
	send(A, mac_of[B], 8);
	assert_int_equal(drain(B, &tag), 1);
	assert_int_equal(tag, 8);
	assert_int_equal(drain(C, NULL), 0);
}

static void an_address_that_moves_is_followed(void **state)
{
	(void)state;
	send(A, broadcast, 1);
	send_from(C, broadcast, mac_of[A], 2, 64); /* A's address now behind C */
	drain_all();
	send(B, mac_of[A], 3);
	assert_int_equal(drain(A, NULL), 0);
	assert_int_equal(drain(C, NULL), 1);
}

static void a_frame_for_the_senders_own_port_goes_nowhere(void **state)
{
	(void)state;
	send(A, broadcast, 1);
	drain_all();
	send(A, mac_of[A], 2);
	for (unsigned p = 0; p < PORTS; p++)
		assert_int_equal(drain(p, NULL), 0);
}

static void two_switches_never_see_each_others_frames(void **state)
{
	(void)state;
	assert_ptr_not_equal(lan, lan2);
	assert_ptr_equal(vswitch_get("lan"), lan);
	send(A, broadcast, 1);
	send(B, nobody, 2);
	send(C, mac_of[X], 3);
	assert_int_equal(drain(X, NULL), 0);
	send(X, broadcast, 4);
	send(X, mac_of[A], 5);
	assert_int_equal(drain(A, NULL), 2); /* B's and C's, none of X's */
	assert_int_equal(drain(B, NULL), 2);
	assert_int_equal(drain(C, NULL), 2);
	assert_int_equal(port[X].tx_frames, 2);
}

/* ---- inboxes ---- */

static void frames_arrive_whole_and_in_order(void **state)
{
	(void)state;
	uint8_t f[VSWITCH_FRAME_MAX];
	unsigned len;
	/* Around the ring more than once: take two out for every three sent. */
	uint8_t next_in = 0, next_out = 0;
	for (unsigned round = 0; round < 100; round++) {
		for (unsigned i = 0; i < 3 && port[B].count < VSWITCH_INBOX; i++) {
			send_from(A, mac_of[B], mac_of[A], next_in, 60 + next_in % 7);
			next_in++;
		}
		for (unsigned i = 0; i < 2; i++) {
			assert_true(vswitch_receive(&port[B], f, &len));
			assert_int_equal(len, 60 + next_out % 7);
			assert_memory_equal(f, mac_of[B], 6);
			assert_memory_equal(f + 6, mac_of[A], 6);
			assert_int_equal(f[12], next_out);
			assert_int_equal(f[len - 1], next_out);
			next_out++;
		}
	}
	assert_int_equal(port[B].rx_dropped, 0);
}

static void a_full_inbox_drops_and_counts(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VSWITCH_INBOX + 3; i++)
		send(A, mac_of[B], (uint8_t)i);
	assert_int_equal(port[B].count, VSWITCH_INBOX);
	assert_int_equal(port[B].rx_dropped, 3);
	assert_int_equal(port[A].tx_frames, VSWITCH_INBOX + 3);
	uint8_t tag = 0;
	assert_int_equal(drain(B, &tag), VSWITCH_INBOX);
	assert_int_equal(tag, VSWITCH_INBOX - 1); /* the newest ones were dropped */
	assert_int_equal(port[B].rx_frames, VSWITCH_INBOX);
	send(A, mac_of[B], 9); /* room again */
	assert_int_equal(drain(B, NULL), 1);
}

static void runt_and_oversized_frames_are_dropped_and_counted(void **state)
{
	(void)state;
	send_from(A, broadcast, mac_of[A], 1, VSWITCH_FRAME_MIN - 1);
	send_from(A, broadcast, mac_of[A], 2, VSWITCH_FRAME_MAX + 1);
	send_from(A, broadcast, mac_of[A], 3, 0);
	assert_int_equal(port[A].tx_dropped, 3);
	assert_int_equal(port[A].tx_frames, 0);
	assert_int_equal(drain(B, NULL), 0);
	/* The sizes at the limits pass. */
	send_from(A, broadcast, mac_of[A], 4, VSWITCH_FRAME_MIN);
	send_from(A, broadcast, mac_of[A], 5, VSWITCH_FRAME_MAX);
	assert_int_equal(port[A].tx_frames, 2);
	assert_int_equal(port[A].tx_bytes, VSWITCH_FRAME_MIN + VSWITCH_FRAME_MAX);
	assert_int_equal(drain(B, NULL), 2);
	/* A runt's address is not learned either. */
	send_from(C, broadcast, mac_of[C], 6, VSWITCH_FRAME_MIN - 1);
	send(A, mac_of[C], 7);
	assert_int_equal(drain(B, NULL), 1); /* flooded: C is still unknown */
}

static void flush_empties_the_inbox(void **state)
{
	(void)state;
	send(A, mac_of[B], 1);
	send(A, mac_of[B], 2);
	assert_true(vswitch_pending(&port[B]));
	vswitch_flush(&port[B]);
	assert_false(vswitch_pending(&port[B]));
	assert_int_equal(drain(B, NULL), 0);
}

static void wake_is_called_only_when_the_inbox_fills_from_empty(void **state)
{
	(void)state;
	send(A, mac_of[B], 1);
	assert_int_equal(wakes[B], 1);
	send(A, mac_of[B], 2);
	send(A, mac_of[B], 3);
	assert_int_equal(wakes[B], 1);
	uint8_t f[VSWITCH_FRAME_MAX];
	unsigned len;
	assert_true(vswitch_receive(&port[B], f, &len));
	send(A, mac_of[B], 4); /* not empty yet */
	assert_int_equal(wakes[B], 1);
	drain(B, NULL);
	send(A, mac_of[B], 5);
	assert_int_equal(wakes[B], 2);
	assert_int_equal(wakes[A], 0);
	/* A full inbox's drops wake nobody. */
	for (unsigned i = 0; i < VSWITCH_INBOX + 2; i++)
		send(A, mac_of[B], 6);
	assert_int_equal(wakes[B], 2);
	/* A flushed inbox wakes again on its next frame. */
	vswitch_flush(&port[B]);
	send(A, mac_of[B], 7);
	assert_int_equal(wakes[B], 3);
}

/* ---- ports ---- */

static void detach_forgets_the_ports_addresses(void **state)
{
	(void)state;
	send(A, broadcast, 1);
	drain_all();
	vswitch_detach(&port[A]);
	assert_null(port[A].sw);
	send(B, mac_of[A], 2); /* unknown again: flooded to C, and A hears nothing */
	assert_int_equal(drain(C, NULL), 1);
	assert_int_equal(drain(A, NULL), 0);
	send(B, broadcast, 3);
	assert_int_equal(drain(A, NULL), 0);
	assert_int_equal(drain(C, NULL), 1);
	/* A detached port sends nothing. */
	send(A, broadcast, 4);
	assert_int_equal(drain(B, NULL), 0);
	assert_int_equal(port[A].tx_dropped, 1);
	/* Back on the switch, it is learned anew. */
	assert_true(vswitch_attach(lan, &port[A], inbox[A]));
	send(A, broadcast, 5);
	drain_all();
	send(B, mac_of[A], 6);
	assert_int_equal(drain(A, NULL), 1);
	assert_int_equal(drain(C, NULL), 0);
}

static void a_switch_takes_at_most_its_ports(void **state)
{
	(void)state;
	static struct vswitch_port extra[VSWITCH_PORTS_MAX];
	static struct vswitch_frame extra_inbox[VSWITCH_PORTS_MAX][VSWITCH_INBOX];
	unsigned n = 0;
	while (n < VSWITCH_PORTS_MAX && vswitch_attach(lan, &extra[n], extra_inbox[n]))
		n++;
	assert_int_equal(n, VSWITCH_PORTS_MAX - 3); /* A, B and C are on it */
	assert_null(extra[n].sw);
	/* A refused port keeps no inbox: its owner frees the one it offered (vm_devices.c). */
	assert_null(extra[n].inbox);
	for (unsigned i = 0; i < n; i++)
		vswitch_detach(&extra[i]);
	assert_true(vswitch_attach(lan, &extra[0], extra_inbox[0]));
	vswitch_detach(&extra[0]);
}

/* Last: it uses up every switch there is. */
static void switches_are_found_by_name_until_all_are_used(void **state)
{
	(void)state;
	char name[16];
	unsigned made = 0;
	for (unsigned i = 0; i < VSWITCH_MAX + 1; i++) {
		snprintf(name, sizeof(name), "sw%u", i);
		struct vswitch *sw = vswitch_get(name);
		if (!sw)
			break;
		made++;
		assert_string_equal(sw->name, name);
		assert_ptr_equal(vswitch_get(name), sw);
	}
	assert_int_equal(made, VSWITCH_MAX - 2); /* "lan" and "lan2" exist */
	assert_ptr_equal(vswitch_get("lan"), lan);
	assert_ptr_equal(vswitch_get("lan2"), lan2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(a_broadcast_floods_every_other_port_not_the_sender),
		T(an_unknown_address_floods_every_other_port),
		T(a_learned_address_gets_its_frames_alone),
		T(an_address_that_moves_is_followed),
		T(a_frame_for_the_senders_own_port_goes_nowhere),
		T(two_switches_never_see_each_others_frames),
		T(frames_arrive_whole_and_in_order),
		T(a_full_inbox_drops_and_counts),
		T(runt_and_oversized_frames_are_dropped_and_counted),
		T(flush_empties_the_inbox),
		T(wake_is_called_only_when_the_inbox_fills_from_empty),
		T(detach_forgets_the_ports_addresses),
		T(a_switch_takes_at_most_its_ports),
		T(switches_are_found_by_name_until_all_are_used),
#undef T
	};
	return cmocka_run_group_tests_name("vswitch", tests, NULL, NULL);
}
