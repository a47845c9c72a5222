/* The screen GRUB left kan: text drawn with kan's own font on a framebuffer, or EGA text. */
#ifndef KAN_DRIVERS_FRAMEBUFFER_H
#define KAN_DRIVERS_FRAMEBUFFER_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/multiboot2.h"

/* kan's text colour, 0xRRGGBB: amber on black, and not grey, so that a swapped colour field
 * shows (tests/scenarios/test_screen.py compares pixels). EGA text: yellow on black. */
#define FB_TEXT_RGB	 0xffcc66
#define FB_EGA_ATTRIBUTE 0x0e

/*
 * Takes the framebuffer for kan's console and clears it: 16, 24 or 32-bit RGB pixels, 8-bit
 * pixels with a palette (the entry nearest FB_TEXT_RGB), or EGA text. False, with the reason
 * in `why`, for anything kan cannot draw on (another depth, memory above the 4 GiB kan maps).
 */
bool fb_init(const struct boot_framebuffer *fb, const char **why);
/* Draws text at the cursor: '\n' starts a line, '\r' is ignored, a long line wraps, and the
 * screen scrolls up by whole text rows when full. Callers serialise (the console's lock). */
void fb_write(const char *text, size_t len);
/* Text columns and rows on the screen. */
unsigned fb_columns(void);
unsigned fb_rows(void);

#endif
