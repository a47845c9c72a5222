/*
 * kan's screen console. A line of text is a row of 8x16 cells in kan's font (pixels) or of
 * character cells (EGA text). Nothing is read back from the screen except to scroll, which
 * moves whole text rows at once, a quarter of the screen at a time.
 */
#include "drivers/framebuffer.h"
#include "drivers/font8x16.h"
#include "kernel/string.h"

#define FB_MAX_ADDRESS (4ull << 30) /* kan's page tables map the low 4 GiB */

static struct {
	bool text_mode; /* EGA text: 2 bytes per cell, character then attribute */
	uint8_t *base;
	uint32_t pitch; /* bytes per pixel line (text mode: per line of cells) */
	unsigned bytes_per_pixel;
	uint32_t foreground; /* FB_TEXT_RGB in this framebuffer's pixel layout */
	uint32_t background; /* black */
	uint64_t pairs[4];   /* two pixels side by side, for glyph bits 00 01 10 11 */
	unsigned columns, rows;
	unsigned column, row; /* the cursor */
} screen;

/* Bytes from one text row to the next. */
static uint64_t row_bytes(void)
{
	return (uint64_t)screen.pitch * (screen.text_mode ? 1 : FONT_HEIGHT);
}

static void clear_row(unsigned row)
{
	uint8_t *line = screen.base + row * row_bytes();
	if (!screen.text_mode) {
		memset(line, screen.bytes_per_pixel == 1 ? (int)screen.background : 0, row_bytes());
		return;
	}
	volatile uint16_t *cell = (volatile uint16_t *)line;
	for (unsigned c = 0; c < screen.columns; c++)
		cell[c] = (uint16_t)(FB_EGA_ATTRIBUTE << 8 | ' ');
}

/* Copies screen memory in 8-byte units where it can: a framebuffer is device memory, slow
 * to read, and an emulator handles each access on its own. */
static void screen_copy_down(uint8_t *dst, const uint8_t *src, uint64_t bytes)
{
	uint64_t i = 0;
	if (!(((uintptr_t)dst | (uintptr_t)src) & 7))
		for (; i + 8 <= bytes; i += 8)
			*(volatile uint64_t *)(dst + i) = *(const volatile uint64_t *)(src + i);
	for (; i < bytes; i++)
		((volatile uint8_t *)dst)[i] = ((const volatile uint8_t *)src)[i];
}

/* Scrolls by a quarter of the screen at a time, so that a scroll, which reads the whole
 * screen back, comes once every few lines rather than with each. */
static void scroll(void)
{
	unsigned by = screen.rows / 4 ? screen.rows / 4 : 1;
	screen_copy_down(screen.base, screen.base + by * row_bytes(),
			 (screen.rows - by) * row_bytes());
	for (unsigned r = screen.rows - by; r < screen.rows; r++)
		clear_row(r);
	screen.row = screen.rows - by;
}

static void put_pixel(uint8_t *p, uint32_t value)
{
	switch (screen.bytes_per_pixel) {
	case 4:
		*(volatile uint32_t *)p = value;
		break;
	case 3:
		((volatile uint8_t *)p)[0] = (uint8_t)value;
		((volatile uint8_t *)p)[1] = (uint8_t)(value >> 8);
		((volatile uint8_t *)p)[2] = (uint8_t)(value >> 16);
		break;
	case 2:
		*(volatile uint16_t *)p = (uint16_t)value;
		break;
	default:
		*(volatile uint8_t *)p = (uint8_t)value;
		break;
	}
}

/* 16 and 32-bit pixels: two at a time, from the four ways two glyph bits can be set. */
static void draw_glyph_in_pairs(uint8_t *line, const uint8_t *glyph)
{
	for (unsigned y = 0; y < FONT_HEIGHT; y++, line += screen.pitch) {
		for (unsigned pair = 0; pair < FONT_WIDTH / 2; pair++) {
			unsigned bits = (glyph[y] >> (6 - 2 * pair)) & 3;
			if (screen.bytes_per_pixel == 2)
				((volatile uint32_t *)line)[pair] = (uint32_t)screen.pairs[bits];
			else
				((volatile uint64_t *)line)[pair] = screen.pairs[bits];
		}
	}
}

static void draw_glyph(unsigned column, unsigned row, char c)
{
	if (screen.text_mode) {
		volatile uint16_t *cell = (volatile uint16_t *)(screen.base + row * row_bytes());
		cell[column] = (uint16_t)(FB_EGA_ATTRIBUTE << 8 | (uint8_t)c);
		return;
	}
	unsigned index = (uint8_t)c - FONT_FIRST;
	if (index >= FONT_GLYPHS)
		index = '?' - FONT_FIRST;
	const uint8_t *glyph = font8x16[index];
	uint8_t *line =
		screen.base + row * row_bytes() + column * FONT_WIDTH * screen.bytes_per_pixel;
	if (screen.bytes_per_pixel == 2 || screen.bytes_per_pixel == 4) {
		draw_glyph_in_pairs(line, glyph);
		return;
	}
	for (unsigned y = 0; y < FONT_HEIGHT; y++, line += screen.pitch) {
		uint8_t *p = line;
		for (unsigned x = 0; x < FONT_WIDTH; x++, p += screen.bytes_per_pixel)
			put_pixel(p,
				  glyph[y] & (0x80 >> x) ? screen.foreground : screen.background);
	}
}

static void new_line(void)
{
	screen.column = 0;
	if (++screen.row == screen.rows)
		scroll();
}

void fb_write(const char *text, size_t len)
{
	if (!screen.base)
		return;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			new_line();
			continue;
		}
		if (c == '\r')
			continue;
		if (screen.column == screen.columns)
			new_line(); /* wrap */
		draw_glyph(screen.column++, screen.row, c);
	}
}

static uint32_t pack_channel(uint32_t rgb, unsigned from_shift, uint8_t shift, uint8_t bits)
{
	uint32_t value = (rgb >> from_shift) & 0xff;
	return bits == 0 || bits > 8 ? 0 : (value >> (8 - bits)) << shift;
}

/* The palette entry nearest to `rgb`, by the sum of squared differences. */
static uint32_t nearest_palette_entry(const struct boot_framebuffer *fb, uint32_t rgb)
{
	uint32_t best = 0, best_distance = UINT32_MAX;
	for (uint32_t i = 0; i < fb->palette_colors; i++) {
		uint32_t distance = 0;
		for (unsigned c = 0; c < 3; c++) {
			int d = (int)fb->palette[i][c] - (int)((rgb >> (16 - 8 * c)) & 0xff);
			distance += (uint32_t)(d * d);
		}
		if (distance < best_distance) {
			best = i;
			best_distance = distance;
		}
	}
	return best;
}

bool fb_init(const struct boot_framebuffer *fb, const char **why)
{
	if (!fb->present) {
		*why = "GRUB passed no framebuffer";
		return false;
	}
	if (fb->addr + (uint64_t)fb->pitch * fb->height > FB_MAX_ADDRESS) {
		*why = "the framebuffer lies above the 4 GiB kan maps";
		return false;
	}
	bool text_mode = fb->type == MB2_FRAMEBUFFER_TEXT;
	bool indexed = fb->type == MB2_FRAMEBUFFER_INDEXED;
	if (indexed && (fb->bpp != 8 || fb->palette_colors == 0)) {
		*why = "the framebuffer has indexed colours, but not 8 bits with a palette";
		return false;
	}
	if (fb->type == MB2_FRAMEBUFFER_RGB && fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32) {
		*why = "the framebuffer's depth is not 16, 24 or 32 bits";
		return false;
	}
	if (fb->type > MB2_FRAMEBUFFER_TEXT) {
		*why = "the framebuffer is of a type kan does not know";
		return false;
	}
	unsigned columns = text_mode ? fb->width : fb->width / FONT_WIDTH;
	unsigned rows = text_mode ? fb->height : fb->height / FONT_HEIGHT;
	if (columns == 0 || rows == 0) {
		*why = "the framebuffer is smaller than one character";
		return false;
	}
	screen.text_mode = text_mode;
	screen.base = (uint8_t *)(uintptr_t)fb->addr;
	screen.pitch = fb->pitch;
	screen.bytes_per_pixel = fb->bpp / 8;
	if (indexed) {
		screen.foreground = nearest_palette_entry(fb, FB_TEXT_RGB);
		screen.background = nearest_palette_entry(fb, 0);
	} else {
		screen.foreground = pack_channel(FB_TEXT_RGB, 16, fb->red_shift, fb->red_bits) |
				    pack_channel(FB_TEXT_RGB, 8, fb->green_shift, fb->green_bits) |
				    pack_channel(FB_TEXT_RGB, 0, fb->blue_shift, fb->blue_bits);
		screen.background = 0;
	}
	unsigned pixel_bits = screen.bytes_per_pixel * 8;
	for (unsigned bits = 0; bits < 4; bits++) /* the left pixel is the lower address */
		screen.pairs[bits] = (uint64_t)(bits & 2 ? screen.foreground : screen.background) |
				     (uint64_t)(bits & 1 ? screen.foreground : screen.background)
					     << (pixel_bits % 64);
	screen.columns = columns;
	screen.rows = rows;
	screen.column = screen.row = 0;
	for (unsigned r = 0; r < rows; r++)
		clear_row(r);
	return true;
}

unsigned fb_columns(void)
{
	return screen.columns;
}

unsigned fb_rows(void)
{
	return screen.rows;
}
