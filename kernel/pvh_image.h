/*
 * PVH kernels as guests (Xen's PVH boot ABI: docs/misc/pvh.pandoc and
 * public/arch-x86/hvm/start_info.h): an ELF whose "Xen" note XEN_ELFNOTE_PHYS32_ENTRY gives a
 * 32-bit physical entry point, loaded by its program headers at their physical addresses and
 * entered in 32-bit protected mode without paging, EBX the address of struct hvm_start_info.
 * Linux's vmlinux (CONFIG_PVH) boots this way without its decompressor. Pure: it touches only
 * the RAM it is given.
 *
 * Guest-physical layout kan uses for a kind=pvh VM:
 *   [0x1000, 0x4000)    kan's boot data, reserved in the memory map: the start info at
 *                       PVH_START_INFO_ADDR, the memory map and module list after it, the
 *                       entry GDT at 0x2000 (guest_boot.c), the command line at
 *                       PVH_CMDLINE_ADDR.
 *   [0x9fc00, 1 MiB)    the board's BIOS area (ACPI tables, SMBIOS), reserved.
 *   elsewhere           the image, where its program headers say; the modules at the top of
 *                       RAM, the first highest (Linux takes its initrd from module 0).
 */
#ifndef KAN_KERNEL_PVH_IMAGE_H
#define KAN_KERNEL_PVH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/e820.h"

#define PVH_NOTE_NAME	      "Xen"
#define PVH_NOTE_PHYS32_ENTRY 18	  /* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_START_MAGIC	      0x336ec578u /* XEN_HVM_START_MAGIC_VALUE */

#define PVH_AREA_START	    0x1000
#define PVH_AREA_END	    0x4000
#define PVH_START_INFO_ADDR 0x1000
#define PVH_MEMMAP_ADDR	    0x1100
#define PVH_MODLIST_ADDR    0x1200
#define PVH_STRINGS_ADDR    0x1400 /* module names, up to 0x2000 */
#define PVH_STRINGS_END	    0x2000
#define PVH_CMDLINE_ADDR    0x3000
#define PVH_CMDLINE_MAX	    0x1000 /* bytes, with the terminating zero */
#define PVH_MODULES_MAX	    8
#define PVH_MEMMAP_MAX	    E820_BOARD_MAX

/* start_info.h, version 1: what the kernel finds at EBX. */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr; /* version 1 and later */
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved; /* type: the e820 types (kernel/e820.h) */
};

/* What kan learned loading the image. */
struct pvh_image {
	uint32_t entry;		       /* the note's physical entry point */
	uint64_t load_start, load_end; /* guest-physical span of the segments */
};

/* A boot module: its bytes and the name the kernel is given with it. */
struct pvh_module {
	const void *data;
	uint64_t size;
	const char *string;
};

/* What the start info describes besides the image. */
struct pvh_boot {
	const char *cmdline; /* copied to PVH_CMDLINE_ADDR (it may lie there already), cut */
	uint64_t rsdp;	     /* the VM's ACPI RSDP, 0 if it has none */
	const struct e820_entry *map;
	unsigned map_entries; /* at most PVH_MEMMAP_MAX */
	const struct pvh_module *modules;
	unsigned module_count; /* at most PVH_MODULES_MAX */
};

/*
 * Checks the image (ELF32 or ELF64 with the PHYS32_ENTRY note) and copies its loadable
 * segments into `ram` (guest-physical 0..ram_size) at their physical addresses. Returns 0, or
 * -1 with a message in `error` naming what is wrong: not ELF, no note, a segment outside RAM or
 * over kan's boot data or the BIOS area, the entry outside the segments.
 */
int pvh_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     struct pvh_image *out, char *error, size_t error_size);

/*
 * Copies the modules to the top of RAM and writes the start info at PVH_START_INFO_ADDR with
 * its module list, memory map and command line. Returns 0, or -1 with a message in `error` (a
 * module does not fit above the image, too many modules or map entries).
 */
int pvh_write_start_info(uint8_t *ram, uint64_t ram_size, const struct pvh_image *image,
			 const struct pvh_boot *boot, char *error, size_t error_size);

#endif
