/* Loads a guest's ELF image into its RAM, checking every bound (the image is untrusted). */
#ifndef KAN_KERNEL_ELF_LOADER_H
#define KAN_KERNEL_ELF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum elf_kind { ELF_KIND_64BIT, ELF_KIND_REAL_MODE };

struct elf_image {
	enum elf_kind kind;
	uint64_t entry;
	uint64_t load_start, load_end; /* guest-physical span of the loaded segments */
};

/* One loadable segment, whatever the ELF class. */
struct elf_segment {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, vaddr;
};

/* Called for each non-empty PT_LOAD segment, already checked against the file; nonzero (with a
 * message in `error`) refuses the image. */
typedef int (*elf_segment_fn)(void *ctx, const struct elf_segment *s, unsigned index, char *error,
			      size_t error_size);

/*
 * Checks an x86 ELF executable (ELF32 i386 or ELF64 x86-64) and hands each loadable segment to
 * `each`, which decides where it may go and copies it (and whether the entry point, left in
 * out->entry as the file says before the first call, is one it accepts). Fills `out` (kind:
 * ELF_KIND_REAL_MODE for ELF32). Returns 0, or -1 with a message in `error`.
 */
int elf_segments(const void *image, size_t image_size, elf_segment_fn each, void *ctx,
		 struct elf_image *out, char *error, size_t error_size);

/*
 * Copies the PT_LOAD segments of `image` into `ram` (guest-physical 0 .. ram_size).
 * Returns 0, or -1 with a message in `error` saying what is wrong with the image.
 */
int elf_load(const void *image, size_t image_size, void *ram, uint64_t ram_size,
	     struct elf_image *out, char *error, size_t error_size);

/*
 * The first ELF note named `name` (e.g. "Xen") of `type` in the PT_NOTE segments of an ELF32 or
 * ELF64 file, or else in its SHT_NOTE sections: its descriptor at *desc, *desc_size bytes, all
 * inside the file. False if there is none.
 */
bool elf_find_note(const void *image, size_t image_size, const char *name, uint32_t type,
		   const uint8_t **desc, uint32_t *desc_size);

#endif
