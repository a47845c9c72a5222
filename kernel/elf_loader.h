/* Loads a guest's ELF image into its RAM, checking every bound (the image is untrusted). */
#ifndef KAN_KERNEL_ELF_LOADER_H
#define KAN_KERNEL_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

enum elf_kind { ELF_KIND_64BIT, ELF_KIND_REAL_MODE };

struct elf_image {
	enum elf_kind kind;
	uint64_t entry;
	uint64_t load_start, load_end; /* guest-physical span of the loaded segments */
};

/*
 * Copies the PT_LOAD segments of `image` into `ram` (guest-physical 0 .. ram_size).
 * Returns 0, or -1 with a message in `error` saying what is wrong with the image.
 */
int elf_load(const void *image, size_t image_size, void *ram, uint64_t ram_size,
	     struct elf_image *out, char *error, size_t error_size);

#endif
