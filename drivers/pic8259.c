#include "drivers/pic8259.h"
#include "arch/x86_64/cpu.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA    0xa1

#define ICW1_INIT_WITH_ICW4 0x11
#define ICW4_8086	    0x01
#define OCW2_EOI	    0x20
#define OCW3_READ_ISR	    0x0b
#define CASCADE_IRQ	    2

/* The 8259 wants a moment between initialization words; port 0x80 is the usual pause. */
static void pic_write(uint16_t port, uint8_t value)
{
	outb(port, value);
	outb(0x80, 0);
}

void pic_remap_and_mask(void)
{
	pic_write(PIC1_COMMAND, ICW1_INIT_WITH_ICW4);
	pic_write(PIC2_COMMAND, ICW1_INIT_WITH_ICW4);
	pic_write(PIC1_DATA, PIC_VECTOR_BASE);
	pic_write(PIC2_DATA, PIC_VECTOR_BASE + 8);
	pic_write(PIC1_DATA, 1u << CASCADE_IRQ); /* the slave hangs on IRQ 2 */
	pic_write(PIC2_DATA, CASCADE_IRQ);
	pic_write(PIC1_DATA, ICW4_8086);
	pic_write(PIC2_DATA, ICW4_8086);
	pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
	outb(PIC1_DATA, (uint8_t)mask);
	outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

struct pic_verdict pic_verdict(unsigned irq, uint8_t master_isr, uint8_t slave_isr)
{
	/* A line that drops before the CPU's acknowledge shows up as IRQ 7 (or 15 on the
	 * slave) with no in-service bit: nothing to end, except the master's cascade input,
	 * which did see a real request from the slave. */
	if (irq == 7 && !(master_isr & 0x80))
		return (struct pic_verdict){ .spurious = true };
	if (irq == 15 && !(slave_isr & 0x80))
		return (struct pic_verdict){ .spurious = true, .eoi_master = true };
	return (struct pic_verdict){ .eoi_master = true, .eoi_slave = irq >= 8 };
}

struct pic_verdict pic_handle(unsigned irq)
{
	outb(PIC1_COMMAND, OCW3_READ_ISR);
	outb(PIC2_COMMAND, OCW3_READ_ISR);
	struct pic_verdict v = pic_verdict(irq, inb(PIC1_COMMAND), inb(PIC2_COMMAND));
	if (v.eoi_slave)
		outb(PIC2_COMMAND, OCW2_EOI);
	if (v.eoi_master)
		outb(PIC1_COMMAND, OCW2_EOI);
	return v;
}
