/* kan's console font: 8x16 pixel glyphs for printable ASCII (0x20-0x7e). */
#ifndef KAN_DRIVERS_FONT8X16_H
#define KAN_DRIVERS_FONT8X16_H

#include <stdint.h>

#define FONT_WIDTH  8
#define FONT_HEIGHT 16
#define FONT_FIRST  0x20
#define FONT_GLYPHS 95

/* Row by row, the leftmost pixel in bit 7. */
extern const uint8_t font8x16[FONT_GLYPHS][FONT_HEIGHT];

#endif
