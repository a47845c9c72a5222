/* Which console kan's command line asks for: `console=` (README, "Consoles"). Pure. */
#ifndef KAN_KERNEL_CONSOLE_CONFIG_H
#define KAN_KERNEL_CONSOLE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console_choice {
	bool given;	      /* console= was on the line; otherwise kan looks for itself */
	bool screen;	      /* fb: the framebuffer GRUB set up */
	uint16_t serial_port; /* com1-com4 or 0xPORT; 0: no serial console */
};

/*
 * Reads the last `console=` on kan's command line: a comma-separated list of com1, com2,
 * com3, com4, an I/O port (0x2f8), fb; or none. At most one serial port. Returns 0 (with
 * `given` false when there is no console=), or -1 with the reason in `error`.
 */
int console_choice_parse(const char *cmdline, struct console_choice *out, char *error,
			 size_t error_size);

#endif
