/* A pair of virtual 8259 interrupt controllers and an 8254 timer: the legacy interrupt
 * hardware a Linux guest (kind=linux) looks for. */
#ifndef KAN_KERNEL_VPIC_H
#define KAN_KERNEL_VPIC_H

#include <stdbool.h>
#include <stdint.h>

struct vpic_chip {
	uint8_t irr, isr, imr;
	uint8_t vector_base;
	uint8_t init_step; /* 0: ready; 1-3: waiting for ICW2..ICW4 */
	bool icw4_needed;
	bool read_isr; /* OCW3: what a read of the command port returns */
};

struct vpit {
	uint16_t reload; /* channel 0 */
	uint8_t mode, access, write_low, latch_pending;
	uint16_t latched;
	uint64_t period_tsc; /* 0: not running */
	uint64_t next_tick;
	uint8_t port61; /* channel 2 gate and speaker bits, kept for reads */
};

struct vpic {
	struct vpic_chip chip[2]; /* master (IRQ 0-7), slave (IRQ 8-15) on IRQ 2 */
	struct vpit pit;
	uint8_t line_level; /* IRQs 0-7 currently raised by level sources (the UART) */
	/* Where the PIT's IRQ 0 goes, if not only to this 8259 (an IOAPIC too); set after
	 * vpic_init. The callee raises it here itself. */
	void (*irq0)(void *ctx);
	void *irq0_ctx;
};

void vpic_init(struct vpic *pic);
void vpic_io_pic(void *pic, uint16_t port, unsigned size, bool write, uint32_t *value);
void vpic_io_pit(void *pic, uint16_t port, unsigned size, bool write, uint32_t *value);
/* The guest's view of `from` (registers, the PIT's count) into `to`, whose wiring (irq0)
 * stays: a snapshot's restore. `shift` moves the PIT's next tick, a time on kan's clock, by
 * the TSC ticks the snapshot was away. */
void vpic_copy_state(struct vpic *to, const struct vpic *from, uint64_t shift);
/* An edge on ISA line `irq`. */
void vpic_raise(struct vpic *pic, unsigned irq);
/* Advances the PIT to `now` (raising IRQ 0 for each tick due) and tells when the next is. */
uint64_t vpic_tick(struct vpic *pic, uint64_t now);
/* The vector to deliver now, if any: moves it from IRR to ISR (the CPU's acknowledge). */
bool vpic_ack(struct vpic *pic, uint8_t *vector);
/* Whether an unmasked interrupt is waiting (to ask for an interrupt window). */
bool vpic_pending(const struct vpic *pic);

#endif
