/*
 * Multiboot 1 kernels as guests (the Multiboot Specification 0.6.96): finds and checks an
 * image's header, loads the image into the VM's RAM and builds the information structure the
 * kernel is entered with. Pure: it touches only the RAM it is given.
 *
 * Guest-physical layout kan uses for a kind=multiboot VM:
 *   [0x1000, 0x9000)   kan's boot data, never a load address: the information structure at
 *                      MB1_INFO_ADDR, its memory map, module list and loader name in the same
 *                      page, the entry GDT at 0x2000 (guest_boot.c), the command line at
 *                      MB1_CMDLINE_ADDR and the module strings after it.
 *   [1 MiB, mem)       the image (load addresses below 1 MiB are refused), then each module
 *                      at the next 4 KiB boundary.
 * The memory map says [0, 0x9fc00) and [1 MiB, mem) available and [0x9fc00, 1 MiB) reserved,
 * as on a PC; kan's boot data lies in available memory, as GRUB's does.
 * Multiboot2 kernels (multiboot2_image.h) get the same layout, memory map and loading code:
 * the mb_ functions at the end are shared.
 */
#ifndef KAN_KERNEL_MULTIBOOT1_IMAGE_H
#define KAN_KERNEL_MULTIBOOT1_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB1_HEADER_MAGIC     0x1badb002u
#define MB1_BOOTLOADER_MAGIC 0x2badb002u /* in EAX at entry */
#define MB1_SEARCH_BYTES     8192	 /* the header lies in the image's first 8 KiB */

#define MB1_AREA_START	 0x1000
#define MB1_AREA_END	 0x9000
#define MB1_INFO_ADDR	 0x1000
#define MB1_MMAP_ADDR	 0x1100
#define MB1_MODS_ADDR	 0x1200
#define MB1_LOADER_ADDR	 0x1f00
#define MB1_CMDLINE_ADDR 0x3000
#define MB1_CMDLINE_MAX	 0x1000 /* bytes, with the terminating zero */
#define MB1_STRINGS_ADDR 0x4000 /* module strings, up to MB1_AREA_END */
#define MB1_MODULES_MAX	 8
#define MB1_LOAD_MIN	 0x100000
#define MB_LOW_RAM_END	 0x9fc00 /* RAM below it, then what a PC keeps for its BIOS */
#define MB_MMAP_ENTRIES	 3

/* Header flags (3.1.2). Bits 0-15 are requirements: kan refuses those it cannot meet. */
#define MB1_FLAG_PAGE_ALIGN  0x00001 /* modules on 4 KiB boundaries: kan always does */
#define MB1_FLAG_MEMORY_INFO 0x00002
#define MB1_FLAG_VIDEO_MODE  0x00004 /* a video mode table: kan's VMs have no display */
#define MB1_FLAG_AOUT_KLUDGE 0x10000 /* the address fields are valid */

/* Information structure flags (3.3). */
#define MB1_INFO_MEMORY	 0x001
#define MB1_INFO_CMDLINE 0x004
#define MB1_INFO_MODS	 0x008
#define MB1_INFO_MMAP	 0x040
#define MB1_INFO_LOADER	 0x200

/* The information structure (3.3), up to the fields kan fills. */
struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table;
	uint32_t vbe[6];
	uint32_t framebuffer[7];
};

struct mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry: 20 */
	uint64_t base_addr, length;
	uint32_t type; /* 1 available, 2 reserved */
} __attribute__((packed));

struct mb1_module_entry {
	uint32_t mod_start, mod_end, string, reserved;
};

/* What kan learned loading the image. */
struct mb1_image {
	uint32_t header_offset; /* in the file */
	uint32_t flags;		/* the header's */
	uint32_t entry;
	uint64_t load_start, load_end; /* guest-physical, with the bss */
};

/* A boot module: a kind=data module named by module=. */
struct mb1_module {
	const void *data;
	uint64_t size;
	const char *string; /* its name, given to the kernel */
};

/*
 * Finds the header, checks it and copies the image into `ram` (guest-physical 0..ram_size) by
 * its a.out kludge fields or else by its ELF32/ELF64 program headers. Returns 0, or -1 with a
 * message in `error` naming what is wrong.
 */
int mb1_load(const void *image, size_t image_size, uint8_t *ram, uint64_t ram_size,
	     struct mb1_image *out, char *error, size_t error_size);

/*
 * Copies the modules after the image and writes the information structure at MB1_INFO_ADDR
 * with the memory map, the modules, the loader name "kan" and the command line, which the
 * caller has put at MB1_CMDLINE_ADDR (mb1_cmdline). Returns 0, or -1 with a message in `error`
 * (a module does not fit).
 */
int mb1_write_info(uint8_t *ram, uint64_t ram_size, const struct mb1_image *image,
		   const struct mb1_module *modules, unsigned count, char *error,
		   size_t error_size);

/*
 * The kernel's command line as GRUB makes it: a first word where GRUB puts the image path (the
 * first word of the module's line when it has no '='; GRUB's module2 passes none, so usually
 * `fallback`, the VM's name), then what follows " -- " on that line; cut to fit `out_size`.
 */
void mb1_cmdline(const char *module_line, const char *guest_args, const char *fallback, char *out,
		 size_t out_size);

/* Shared with multiboot2_image.c. */

/* How a header is found: the first `magic` on an `align` boundary in the image's first
 * `search_bytes` whose first `words` 32-bit fields (magic to checksum) sum to zero. */
struct mb_header_rule {
	const char *name; /* of the specification, for refusals */
	uint32_t magic;
	unsigned words; /* 4 at the most */
	unsigned align, search_bytes;
};

/* 0 and the header's offset, or -1 and why: no header, or a bad checksum. */
int mb_find_header(const uint8_t *image, size_t size, const struct mb_header_rule *rule,
		   uint32_t *offset, char *error, size_t error_size);

/* What a header's address fields say (the same in both specifications). */
struct mb_addresses {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* One entry of the VM's memory map: type 1 available, 2 reserved. */
struct mb_region {
	uint64_t base, length;
	uint32_t type;
};

/* 0, or -1 and why if [start, end) is not above 1 MiB, inside RAM and clear of kan's area. */
int mb_check_range(uint64_t start, uint64_t end, uint64_t ram_size, const char *what, char *error,
		   size_t error_size);

/* Loads the file as the address fields say, the header being at `offset` in it; checks that
 * the entry lies in the loaded file. */
int mb_load_addresses(const uint8_t *image, size_t size, uint32_t offset,
		      const struct mb_addresses *a, uint8_t *ram, uint64_t ram_size,
		      uint64_t *load_start, uint64_t *load_end, char *error, size_t error_size);

/* Loads ELF32/ELF64 program headers by physical address. `entry`: the ELF entry as a
 * physical address, UINT64_MAX when no segment holds it (refused if `need_entry`). */
int mb_load_elf(const uint8_t *image, size_t size, uint8_t *ram, uint64_t ram_size, bool need_entry,
		uint64_t *entry, uint64_t *load_start, uint64_t *load_end, char *error,
		size_t error_size);

/* The first module's address after guest-physical `after`, and each next one's. */
uint64_t mb_module_start(uint64_t after);

/* Copies module `m` to `at`, or says it does not fit. */
int mb_copy_module(uint8_t *ram, uint64_t ram_size, uint64_t at, const struct mb1_module *m,
		   char *error, size_t error_size);

/* The VM's memory map as both kinds give it. */
void mb_memory_map(uint64_t ram_size, struct mb_region map[MB_MMAP_ENTRIES]);

#endif
