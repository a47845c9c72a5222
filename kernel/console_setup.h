/* Where kan's console goes (serial port, screen) and where its input comes from (the serial
 * port, a PS/2 keyboard): chosen at boot from console=, the ACPI tables and what answers. */
#ifndef KAN_KERNEL_CONSOLE_SETUP_H
#define KAN_KERNEL_CONSOLE_SETUP_H

#include <stddef.h>

#include "drivers/acpi.h"
#include "kernel/multiboot2.h"

/* After GRUB's information is read: console=, the framebuffer, the first of COM1-4. */
void console_setup(const struct boot_info *boot);
/* After acpi_init: the SPCR's UART unless console= said otherwise; then one line saying
 * which consoles kan found. */
void console_setup_late(void);
/* What the console found: "serial COM1 (0x3f8) and framebuffer 1024x768x16 at 0x…". */
#define CONSOLE_DESCRIPTION_MAX 240
void console_describe(char *out, size_t size);
/* The serial port's and the keyboard's interrupts through the IOAPIC to this CPU (`madt`
 * NULL: no IOAPIC, everything stays polled). Keys and serial bytes go to the shell. */
void console_setup_interrupts(const struct madt_info *madt);

#endif
