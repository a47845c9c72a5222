/*
 * Multiboot2 kernels as guests (the Multiboot2 Specification 2.0, sections 3.1 and 3.6): finds
 * and checks an image's header and its tags, loads the image into the VM's RAM and builds the
 * boot information the kernel is entered with. Pure: it touches only the RAM it is given.
 * Not kernel/multiboot2.c, which reads what GRUB gives kan itself.
 *
 * The guest-physical layout, the memory map and the loading rules are Multiboot 1's
 * (multiboot1_image.h): the image at or above 1 MiB, modules after it on 4 KiB boundaries,
 * kan's boot data in [0x1000, 0x9000), where the boot information starts at MB2_INFO_ADDR
 * (after the entry GDT at 0x2000) with the command line as its first tag.
 *
 * What kan gives: the command line (1), the loader name "kan" (2), the modules (3), the basic
 * memory sizes (4), the memory map (6), and the ACPI RSDP (14 or 15) when the VM has ACPI
 * tables. A header whose required information request names anything else (a framebuffer,
 * the BIOS boot device, EFI tables, ...) is refused by name, as are a required framebuffer
 * tag, a required console (flags tag bit 0), required EFI entry tags and unknown required
 * tags. The relocatable tag is ignored: kan loads the image where it was linked to go.
 */
#ifndef KAN_KERNEL_MULTIBOOT2_IMAGE_H
#define KAN_KERNEL_MULTIBOOT2_IMAGE_H

#include "kernel/multiboot1_image.h"
#include "kernel/multiboot2.h" /* the tag numbers; MB2_BOOTLOADER_MAGIC, in EAX at entry */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_HEADER_MAGIC 0xe85250d6u
#define MB2_SEARCH_BYTES 32768 /* the header lies in the image's first 32 KiB */
#define MB2_ARCH_I386	 0

#define MB2_INFO_ADDR	    0x3000
#define MB2_INFO_END	    MB1_AREA_END
#define MB2_CMDLINE_ADDR    (MB2_INFO_ADDR + 16) /* the first tag's string */
#define MB2_MODULE_NAME_MAX 256			 /* bytes of a module's string, with its zero */

/* Header tags (3.1.3 to 3.1.13). */
#define MB2_HTAG_END		   0
#define MB2_HTAG_INFO_REQUEST	   1
#define MB2_HTAG_ADDRESS	   2
#define MB2_HTAG_ENTRY		   3
#define MB2_HTAG_FLAGS		   4
#define MB2_HTAG_FRAMEBUFFER	   5
#define MB2_HTAG_MODULE_ALIGN	   6
#define MB2_HTAG_EFI_BOOT_SERVICES 7
#define MB2_HTAG_ENTRY_EFI32	   8
#define MB2_HTAG_ENTRY_EFI64	   9
#define MB2_HTAG_RELOCATABLE	   10
#define MB2_HTAG_OPTIONAL	   0x1 /* in a tag's flags */
#define MB2_CONSOLE_REQUIRED	   0x1 /* in the flags tag's console_flags */

/* Boot information tags (3.6): MB2_TAG_* of kernel/multiboot2.h, the same specification. */

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap_entry {
	uint64_t base_addr, length;
	uint32_t type, reserved;
};

/* What kan learned loading the image. */
struct mb2_image {
	uint32_t header_offset; /* in the file */
	uint32_t entry;
	uint64_t load_start, load_end; /* guest-physical, with the bss */
	bool address_tag;	       /* loaded by the address tag, not as ELF */
};

/*
 * Finds the header, checks it and its tags and copies the image into `ram` (guest-physical
 * 0..ram_size) by its address tag or else by its ELF32/ELF64 program headers. `vm_has_acpi`:
 * whether a request for the RSDP can be met. Returns 0, or -1 with a message in `error` naming
 * what is wrong.
 */
int mb2_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     bool vm_has_acpi, struct mb2_image *out, char *error, size_t error_size);

/*
 * Copies the modules after the image and writes the boot information at MB2_INFO_ADDR around
 * the command line the caller has put at MB2_CMDLINE_ADDR (mb1_cmdline, at most
 * MB1_CMDLINE_MAX bytes). `rsdp`: the VM's ACPI RSDP (revision 2 or later: tag 15, else 14),
 * NULL when it has no tables. Returns 0, or -1 with a message in `error` (a module does not
 * fit).
 */
int mb2_write_info(uint8_t *ram, uint64_t ram_size, const struct mb2_image *image,
		   const struct mb1_module *modules, unsigned count, const void *rsdp, char *error,
		   size_t error_size);

#endif
