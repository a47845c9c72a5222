/* A PS/2 keyboard behind the 8042 controller (or the firmware's USB legacy emulation of
 * one): keys typed into kan's shell. */
#ifndef KAN_DRIVERS_PS2KBD_H
#define KAN_DRIVERS_PS2KBD_H

#include <stdbool.h>

#define PS2KBD_IRQ 1

/* Finds the controller and turns its keyboard interrupt on. False, with the reason in
 * `why`, when nothing answers at its ports. */
bool ps2kbd_init(const char **why);
/* Whether the 8042 translates to scan code set 1 (else kan reads set 2). */
bool ps2kbd_translated(void);
/* Reads what the keyboard sent and passes each character to `on_char`; true if any call
 * returned true. Bounded: never waits for a key. */
bool ps2kbd_poll(bool (*on_char)(char c));

#endif
