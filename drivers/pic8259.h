/*
 * The legacy 8259 pair. kan uses neither (the IOAPIC delivers COM1), but firmware leaves them
 * pointing at vectors 0x08-0x0f, where exceptions live: kan moves them to PIC_VECTOR_BASE and
 * masks every line, so a stray or spurious IRQ is told apart from a CPU exception.
 */
#ifndef KAN_DRIVERS_PIC8259_H
#define KAN_DRIVERS_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_VECTOR_BASE 0x30 /* IRQ 0-7 -> 0x30-0x37, IRQ 8-15 -> 0x38-0x3f */
#define PIC_VECTORS	16

/* Remaps both 8259s to PIC_VECTOR_BASE and masks all their lines; once, at boot. */
void pic_remap_and_mask(void);

/* Sets both masks (bit n masks IRQ n); only a self-test unmasks a line. */
void pic_set_mask(uint16_t mask);

/* What an interrupt on the 8259's `irq` calls for, given both in-service registers. */
struct pic_verdict {
	bool spurious; /* IRQ 7 or 15 with its in-service bit clear: no such interrupt */
	bool eoi_master, eoi_slave;
};
struct pic_verdict pic_verdict(unsigned irq, uint8_t master_isr, uint8_t slave_isr);

/* Reads the in-service registers and ends the interrupt on `irq` as its verdict says. */
struct pic_verdict pic_handle(unsigned irq);

#endif
