/* PS/2 keyboard scan codes (set 1, as the 8042 translates them, or set 2) to ASCII. Pure. */
#ifndef KAN_DRIVERS_PS2_SCANCODE_H
#define KAN_DRIVERS_PS2_SCANCODE_H

#include <stdbool.h>
#include <stdint.h>

struct ps2_decoder {
	bool set2;     /* scan code set 2 (the 8042 does not translate); else set 1 */
	bool shift;    /* a shift key is held */
	bool released; /* set 2: the next code is a key release (0xf0 came) */
	bool extended; /* 0xe0 came: the next code is an extended key */
};

/* Feeds one byte from the keyboard: the ASCII character a key press makes ('\r' for Enter,
 * '\b' for Backspace), or -1 (a release, a modifier, a key kan has no character for). */
int ps2_decode(struct ps2_decoder *decoder, uint8_t byte);

#endif
