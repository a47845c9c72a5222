/*
 * The rest of the PC a Linux guest (kind=linux) expects around its CPU, PIC, PIT and COM1:
 *
 *   0xcf8-0xcff  PCI configuration mechanism #1 with an empty bus: the address register
 *                (dword at 0xcf8) keeps what is written, and every configuration read
 *                returns all-ones, which means "no device here"; 0xcf9 (byte) is the reset
 *                control register, and writing it with bit 2 (RST_CPU) set resets the VM.
 *   0x64         the keyboard controller's command port: only the reset pulse (0xfe) is
 *                modelled; everything else answers as absent hardware does.
 *   0x70-0x71    a CMOS RTC (MC146818): the date and time are kan's wall clock (the
 *                machine's RTC at boot, plus the TSC), in BCD, 24-hour, never updating
 *                (UIP 0); the guest cannot set them. The other 114 bytes are its own RAM.
 *   0x600-0x60b  ACPI fixed hardware: PM1a event block (status, enable), PM1a control
 *                (SLP_TYP 5 with SLP_EN powers the VM off) and the 24-bit PM timer.
 *
 * The ACPI tables that describe these (kernel/devices/acpi_tables.c) are in the VM's memory; kan's
 * reset and power-off then become VM events (vm_request_reset, vm_power_off).
 */
#ifndef KAN_KERNEL_PCBOARD_H
#define KAN_KERNEL_PCBOARD_H

#include <stdbool.h>
#include <stdint.h>

#define PCBOARD_PCI_ADDRESS  0xcf8
#define PCBOARD_RESET_CTL    0xcf9
#define PCBOARD_KBD_COMMAND  0x64
#define PCBOARD_CMOS	     0x70
#define PCBOARD_CMOS_CENTURY 0x32  /* the register the FADT names */
#define PCBOARD_PM_BASE	     0x600 /* PM1a_EVT_BLK; PM1a_CNT_BLK at +4, PM_TMR_BLK at +8 */
#define PCBOARD_PM1_EVT_LEN  4
#define PCBOARD_PM1_CNT_LEN  2
#define PCBOARD_PM_TMR_LEN   4
#define PCBOARD_SCI_IRQ	     9
#define PCBOARD_S5_SLP_TYP   5	  /* the \_S5 package in kan's DSDT says this */
#define PCBOARD_RESET_VALUE  0x06 /* the FADT's RESET_VALUE: SYS_RST | RST_CPU */

struct vm;

struct pcboard {
	struct vm *vm;
	uint32_t pci_address;  /* 0xcf8 */
	uint8_t reset_control; /* 0xcf9 */
	uint8_t cmos_index;
	uint8_t cmos[128]; /* the RTC's RAM; the clock registers are computed on reads */
	uint16_t pm1_status, pm1_enable, pm1_control;
	uint64_t pm_timer_start_tsc; /* the PM timer reads 0 here */
	uint64_t pm_timer_mult;	     /* PM timer ticks per TSC tick, as a 32.32 fixed point */
};

/* A fresh board (at creation and at every reset); registers its ports on the VM's bus. */
void pcboard_reset(struct pcboard *board, struct vm *vm, uint64_t tsc_hz, uint64_t now_tsc);
void pcboard_attach(struct pcboard *board, struct vm *vm);
/* The guest's view of `from` into `to` (which stays `to`'s VM's): a snapshot's restore. The
 * PM timer goes on from its value, `shift` TSC ticks later on kan's clock. */
void pcboard_copy_state(struct pcboard *to, const struct pcboard *from, uint64_t shift);

void pcboard_io_pci(void *board, uint16_t port, unsigned size, bool write, uint32_t *value);
void pcboard_io_kbd(void *board, uint16_t port, unsigned size, bool write, uint32_t *value);
void pcboard_io_cmos(void *board, uint16_t port, unsigned size, bool write, uint32_t *value);
void pcboard_io_pm(void *board, uint16_t port, unsigned size, bool write, uint32_t *value);

#endif
