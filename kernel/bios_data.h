/*
 * The BIOS data area a PC's firmware leaves in page 0, for guests booted by a loader
 * (kind=multiboot and its kin) that read it as they would on a PC: Xen, for one, places its
 * real-mode trampoline below the EBDA segment at 0x40e and the base memory size at 0x413.
 * kan writes the fields such kernels read and nothing else; the rest of page 0 stays zero.
 *
 *   0x400  word[4]  I/O bases of COM1-COM4: 0x3f8 (the VM's 16550), then none
 *   0x40e  word     EBDA segment: BDA_EBDA_ADDR >> 4
 *   0x410  word     equipment list: one serial port (bits 9-11), no diskette, no display
 *   0x413  word     base memory in KiB below the EBDA: BDA_EBDA_ADDR / 1024
 *   EBDA   byte     its size in KiB: 1
 * The EBDA lies in the memory map's reserved hole [BDA_EBDA_ADDR, 1 MiB), as on a PC.
 */
#ifndef KAN_KERNEL_BIOS_DATA_H
#define KAN_KERNEL_BIOS_DATA_H

#include <stdint.h>

#define BDA_EBDA_ADDR 0x9fc00u /* where usable low memory ends */

/* Writes the fields above into the VM's RAM, which starts at `ram` and is at least 1 MiB. */
void bios_data_area_write(uint8_t *ram);

#endif
