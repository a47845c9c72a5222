/* What GRUB tells kan at boot (multiboot2 information), parsed into plain C structures. */
#ifndef KAN_KERNEL_MULTIBOOT2_H
#define KAN_KERNEL_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289

/* Tag types from the multiboot2 specification, section 3.6. */
#define MB2_TAG_END	      0
#define MB2_TAG_CMDLINE	      1
#define MB2_TAG_LOADER_NAME   2
#define MB2_TAG_MODULE	      3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP	      6
#define MB2_TAG_FRAMEBUFFER   8
#define MB2_TAG_EFI64	      12
#define MB2_TAG_ACPI_OLD      14
#define MB2_TAG_ACPI_NEW      15
#define MB2_TAG_EFI_MMAP      17

#define MB2_MEMORY_AVAILABLE 1

#define BOOT_CMDLINE_MAX    1024 /* a module's line, with its zero; longer ones are refused */
#define BOOT_MAX_RAM_RANGES 64

struct mem_range {
	uint64_t start;
	uint64_t end; /* exclusive */
};

struct boot_module {
	uint64_t start;
	uint64_t end; /* exclusive */
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_cut; /* GRUB's line was longer than BOOT_CMDLINE_MAX - 1: what is here is cut
			   */
};

/* The framebuffer GRUB set up (tag 8): pixels, or EGA text cells at 0xb8000. */
#define MB2_FRAMEBUFFER_INDEXED 0
#define MB2_FRAMEBUFFER_RGB	1
#define MB2_FRAMEBUFFER_TEXT	2
#define MB2_PALETTE_MAX		256

struct boot_framebuffer {
	bool present;
	uint8_t type; /* MB2_FRAMEBUFFER_*: kan draws on RGB and TEXT */
	uint8_t bpp;
	uint64_t addr;
	uint32_t pitch;		/* bytes per line of pixels (TEXT: per line of cells) */
	uint32_t width, height; /* pixels (TEXT: cells) */
	/* RGB only: where each colour sits in a pixel, and how many bits it has. */
	uint8_t red_shift, red_bits, green_shift, green_bits, blue_shift, blue_bits;
	/* INDEXED only: the palette GRUB set, red, green, blue per entry. */
	uint16_t palette_colors;
	uint8_t palette[MB2_PALETTE_MAX][3];
};

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX];
	char loader_name[64];
	struct mem_range ram[BOOT_MAX_RAM_RANGES]; /* available RAM, as the memory map says */
	int ram_count;
	int ram_dropped; /* RAM ranges beyond BOOT_MAX_RAM_RANGES, not kept */
	uint64_t ram_dropped_bytes;
	/* mb2_parse only counts the modules: there may be any number, and kan keeps them in
	 * memory it allocates once it has some (mb2_modules copies them out). */
	struct boot_module *modules;
	int module_count;
	uint8_t rsdp[36];  /* a copy of the ACPI RSDP (v1 uses the first 20 bytes) */
	int rsdp_revision; /* -1 if GRUB passed none */
	bool efi;
	struct boot_framebuffer framebuffer;
	uint32_t total_size;
};

/*
 * Parses the multiboot2 information at `mbi` (total size first, then 8-byte aligned tags).
 * Returns 0, or -1 with a reason in `error` when the structure is malformed.
 */
int mb2_parse(const void *mbi, struct boot_info *out, char *error, size_t error_size);
/* Copies modules first .. first + max - 1 of information mb2_parse accepted into `out`;
 * returns how many it copied. */
int mb2_modules(const void *mbi, int first, struct boot_module *out, int max);

#endif
