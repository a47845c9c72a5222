/*
 * A network spy: a kan guest with a virtio NIC (net=SWITCH) that listens for ms= milliseconds,
 * asks every ask_ms= (50) milliseconds who has 10.0.0.1 and 10.0.0.2 (ARP broadcasts), and says
 * every say= (10) seconds how many frames reached it (from whom, the first few), and at the end.
 * Between looks it halts (interrupts on, though none ever comes: kan wakes it after one slice,
 * or for a frame it can take), so that it costs its CPU's other VMs little. On a switch of its
 * own it must hear nothing; on the switch of the VMs it spies on it hears their broadcasts and
 * ARP replies (the control). It drives the device the way guests/include/kan_guest.h describes:
 * virtio-mmio registers at KAN_VIRTIO_MMIO_BASE, polled, split queues in its own RAM.
 */
#include "guest.h"

#include <stdbool.h>

#define REG(off)  (*(volatile uint32_t *)(uintptr_t)(dev + (off)))
#define BARRIER() __asm__ volatile("" ::: "memory")

#define QSIZE	 16
#define BUF_SIZE 2048
#define RXQ	 0x200000ul /* desc, avail, used one page each; TX queue 0x10000 above */
#define TXQ	 0x210000ul
#define RX_BUFS	 0x220000ul
#define TX_BUF	 0x240000ul
#define HDR_LEN	 12

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct ring {
	struct desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[] */
	volatile uint32_t *used;  /* flags|idx, then {id, len} pairs */
	uint16_t next_avail, seen_used;
};

static uint64_t dev;

static bool find_nic(void)
{
	for (unsigned n = 0; n < 4; n++) {
		dev = KAN_VIRTIO_MMIO_BASE + n * 0x1000ul;
		if (REG(0x000) == 0x74726976 && REG(0x008) == 1)
			return true;
	}
	return false;
}

static void setup_queue(unsigned q, struct ring *r, uint64_t base)
{
	r->desc = (struct desc *)base;
	r->avail = (volatile uint16_t *)(base + 0x1000);
	r->used = (volatile uint32_t *)(base + 0x2000);
	for (unsigned i = 0; i < 0x3000; i++)
		((volatile uint8_t *)base)[i] = 0;
	REG(0x030) = q;
	REG(0x038) = QSIZE;
	REG(0x080) = (uint32_t)base, REG(0x084) = 0;
	REG(0x090) = (uint32_t)(base + 0x1000), REG(0x094) = 0;
	REG(0x0a0) = (uint32_t)(base + 0x2000), REG(0x0a4) = 0;
	REG(0x044) = 1;
}

static void offer(struct ring *r, unsigned q, uint64_t addr, uint32_t len, bool device_writes)
{
	uint16_t i = r->next_avail % QSIZE;
	r->desc[i] = (struct desc){ addr, len, device_writes ? 2 : 0, 0 };
	r->avail[2 + i] = i;
	BARRIER();
	r->avail[1] = ++r->next_avail;
	BARRIER();
	REG(0x050) = q;
}

static uint16_t used_idx(const struct ring *r)
{
	return (uint16_t)(r->used[0] >> 16);
}

static void arp_who_has(struct ring *tx, const uint8_t mac[6], uint8_t last_octet)
{
	uint8_t *f = (uint8_t *)TX_BUF;
	static const uint8_t arp_head[] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };
	for (unsigned i = 0; i < HDR_LEN + 42; i++)
		f[i] = 0;
	uint8_t *e = f + HDR_LEN;
	for (unsigned i = 0; i < 6; i++)
		e[i] = 0xff, e[6 + i] = mac[i], e[22 + i] = mac[i];
	for (unsigned i = 0; i < sizeof(arp_head); i++)
		e[12 + i] = arp_head[i];
	e[28] = 10, e[29] = 0, e[30] = 0, e[31] = 99; /* sender 10.0.0.99 */
	e[38] = 10, e[39] = 0, e[40] = 0, e[41] = last_octet;
	offer(tx, 1, TX_BUF, HDR_LEN + 42, false);
	while (used_idx(tx) != tx->next_avail) /* the device sends at the notification */
		;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 3000), say_s = guest_arg(info, "say", 10);
	uint64_t ask_ns = guest_arg(info, "ask_ms", 50) * 1000000;
	struct ring rx = { 0 }, tx = { 0 };
	uint8_t mac[6];
	if (!find_nic()) {
		guest_printf("netspy: no virtio NIC (give the VM net=SWITCH)\n");
		return 1;
	}
	REG(0x070) = 0;
	REG(0x070) = 1 | 2;		      /* ACKNOWLEDGE, DRIVER */
	REG(0x024) = 0, REG(0x020) = 1u << 5; /* VIRTIO_NET_F_MAC */
	REG(0x024) = 1, REG(0x020) = 1;	      /* VIRTIO_F_VERSION_1 */
	REG(0x070) = 1 | 2 | 8;
	if (!(REG(0x070) & 8)) {
		guest_printf("netspy: the device refused VERSION_1\n");
		return 1;
	}
	for (unsigned i = 0; i < 6; i++)
		mac[i] = *(volatile uint8_t *)(uintptr_t)(dev + 0x100 + i);
	setup_queue(0, &rx, RXQ);
	setup_queue(1, &tx, TXQ);
	REG(0x070) = 1 | 2 | 8 | 4; /* DRIVER_OK */
	for (unsigned i = 0; i < QSIZE; i++)
		offer(&rx, 0, RX_BUFS + i * BUF_SIZE, BUF_SIZE, true);
	guest_printf("netspy: listening for %lu ms as %x:%x:%x:%x:%x:%x\n", ms, mac[0], mac[1],
		     mac[2], mac[3], mac[4], mac[5]);

	uint64_t start = kan_time_ns(), end = start + ms * 1000000, next_ask = start;
	uint64_t received = 0, sent = 0, next_say = start + say_s * 1000000000;
	while (kan_time_ns() < end) {
		if (kan_time_ns() >= next_say) {
			guest_printf("netspy: %lu s: sent %lu frames, received %lu frames\n",
				     (next_say - start) / 1000000000, sent, received);
			next_say += say_s * 1000000000;
		}
		if (kan_time_ns() >= next_ask) {
			arp_who_has(&tx, mac, 1);
			arp_who_has(&tx, mac, 2);
			sent += 2;
			/* From now, not from when it was due: the answers wake it early (kan wakes
			 * a halted VM for frames it can take), and catching up would be a storm. */
			next_ask = kan_time_ns() + ask_ns;
		}
		while (rx.seen_used != used_idx(&rx)) {
			uint32_t id = rx.used[1 + 2 * (rx.seen_used % QSIZE)];
			const uint8_t *e =
				(const uint8_t *)(RX_BUFS + (id % QSIZE) * BUF_SIZE) + HDR_LEN;
			if (received < 4)
				guest_printf("netspy: frame from %x:%x:%x:%x:%x:%x, "
					     "type %x %x\n",
					     e[6], e[7], e[8], e[9], e[10], e[11], e[12], e[13]);
			received++;
			rx.seen_used++;
			offer(&rx, 0, RX_BUFS + (id % QSIZE) * BUF_SIZE, BUF_SIZE, true);
		}
		if (REG(0x070) & 0x40) {
			guest_printf("netspy: the device needs a reset: a bug here\n");
			return 1;
		}
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	guest_printf("netspy: done: sent %lu frames, received %lu frames\n", sent, received);
	return 0;
}
