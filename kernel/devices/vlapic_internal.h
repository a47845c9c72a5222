/* What the two halves of the virtual local APIC share: vlapic.c (interrupts, destinations, the
 * timer) and vlapic_regs.c (the register file). Not for the rest of kan. */
#ifndef KAN_KERNEL_DEVICES_VLAPIC_INTERNAL_H
#define KAN_KERNEL_DEVICES_VLAPIC_INTERNAL_H

#include "kernel/devices/vlapic.h"

#define SVR_SW_ENABLE	  (1u << 8)
#define DFR_FLAT	  0xf0000000u
#define ICR_LOGICAL	  (1u << 11)
#define ICR_ASSERT	  (1u << 14)
#define ICR_LEVEL	  (1u << 15)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3)
#define LVT_DELIVERY(v)	  (((v) >> 8) & 7)

/* The registers INIT and power-on reset alike (SDM 11.4.7.1). */
void vlapic_reset_registers(struct vlapic *l);
/* An error the ESR records; it raises the LVT error interrupt unless masked (SDM 11.5.3). */
void vlapic_signal_error(struct vlapic *l, uint32_t esr_bit);
void vlapic_eoi(struct vlapic *l);
uint32_t vlapic_x2apic_ldr(const struct vlapic *l);
/* Sends what the ICR says: `low` as ICR[31:0], `dest` the destination field. */
void vlapic_send_ipi(struct vlapic *l, uint32_t low, uint32_t dest);

uint32_t vlapic_timer_mode(const struct vlapic *l);
uint32_t vlapic_timer_current(const struct vlapic *l);
void vlapic_timer_write_initial(struct vlapic *l, uint32_t count);
void vlapic_timer_write_divide(struct vlapic *l, uint32_t value);
void vlapic_timer_write_lvt(struct vlapic *l, uint32_t value);
void vlapic_timer_write_deadline(struct vlapic *l, uint64_t deadline);

#endif
