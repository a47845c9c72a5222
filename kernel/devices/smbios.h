/*
 * The SMBIOS (DMI) tables of a Linux VM, version 2.8 with a 32-bit entry point: BIOS
 * information (vendor "kan", its version and date) and system information ("kan VM").
 * Linux prints them ("DMI: kan kan VM, BIOS kan ...") and, because the BIOS date is after
 * 2000, trusts PCI configuration mechanism #1 without first finding a host bridge; it then
 * scans kan's empty bus and finds no devices.
 */
#ifndef KAN_KERNEL_SMBIOS_H
#define KAN_KERNEL_SMBIOS_H

#include <stdint.h>

#define SMBIOS_SIZE	 0x100	      /* bytes from `gpa` that smbios_build uses */
#define SMBIOS_BIOS_DATE "11/22/2026" /* when kan's VM board was defined (mm/dd/yyyy) */

/* Writes the entry point and the structures at guest-physical `gpa` (16-byte aligned, in
 * 0xf0000-0xfffff where Linux looks; host view: `at`). */
void smbios_build(uint8_t *at, uint64_t gpa);

#endif
