/* What a PS/2 keyboard's bytes mean, for a US layout: letters, digits, punctuation, space,
 * Enter, Backspace and Shift. */
#include "drivers/ps2_scancode.h"

#define SET2_RELEASE 0xf0
#define EXTENDED     0xe0
#define SET1_RELEASE 0x80 /* set 1: a release is the press code with bit 7 set */

/* Make codes to unshifted characters; 0: no character. */
static const char set1[0x3a] = {
	[0x02] = '1',  [0x03] = '2',  [0x04] = '3',  [0x05] = '4', [0x06] = '5', [0x07] = '6',
	[0x08] = '7',  [0x09] = '8',  [0x0a] = '9',  [0x0b] = '0', [0x0c] = '-', [0x0d] = '=',
	[0x0e] = '\b', [0x10] = 'q',  [0x11] = 'w',  [0x12] = 'e', [0x13] = 'r', [0x14] = 't',
	[0x15] = 'y',  [0x16] = 'u',  [0x17] = 'i',  [0x18] = 'o', [0x19] = 'p', [0x1a] = '[',
	[0x1b] = ']',  [0x1c] = '\r', [0x1e] = 'a',  [0x1f] = 's', [0x20] = 'd', [0x21] = 'f',
	[0x22] = 'g',  [0x23] = 'h',  [0x24] = 'j',  [0x25] = 'k', [0x26] = 'l', [0x27] = ';',
	[0x28] = '\'', [0x29] = '`',  [0x2b] = '\\', [0x2c] = 'z', [0x2d] = 'x', [0x2e] = 'c',
	[0x2f] = 'v',  [0x30] = 'b',  [0x31] = 'n',  [0x32] = 'm', [0x33] = ',', [0x34] = '.',
	[0x35] = '/',  [0x39] = ' ',
};
static const char set2[0x67] = {
	[0x16] = '1',  [0x1e] = '2',  [0x26] = '3',  [0x25] = '4', [0x2e] = '5', [0x36] = '6',
	[0x3d] = '7',  [0x3e] = '8',  [0x46] = '9',  [0x45] = '0', [0x4e] = '-', [0x55] = '=',
	[0x66] = '\b', [0x15] = 'q',  [0x1d] = 'w',  [0x24] = 'e', [0x2d] = 'r', [0x2c] = 't',
	[0x35] = 'y',  [0x3c] = 'u',  [0x43] = 'i',  [0x44] = 'o', [0x4d] = 'p', [0x54] = '[',
	[0x5b] = ']',  [0x5a] = '\r', [0x1c] = 'a',  [0x1b] = 's', [0x23] = 'd', [0x2b] = 'f',
	[0x34] = 'g',  [0x33] = 'h',  [0x3b] = 'j',  [0x42] = 'k', [0x4b] = 'l', [0x4c] = ';',
	[0x52] = '\'', [0x0e] = '`',  [0x5d] = '\\', [0x1a] = 'z', [0x22] = 'x', [0x21] = 'c',
	[0x2a] = 'v',  [0x32] = 'b',  [0x31] = 'n',  [0x3a] = 'm', [0x41] = ',', [0x49] = '.',
	[0x4a] = '/',  [0x29] = ' ',
};

static bool is_shift(const struct ps2_decoder *d, uint8_t code)
{
	return d->set2 ? code == 0x12 || code == 0x59 : code == 0x2a || code == 0x36;
}

static char shifted(char c)
{
	static const char plain[] = "1234567890-=[];'`\\,./";
	static const char shift[] = "!@#$%^&*()_+{}:\"~|<>?";
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	for (unsigned i = 0; plain[i]; i++)
		if (plain[i] == c)
			return shift[i];
	return c;
}

int ps2_decode(struct ps2_decoder *d, uint8_t byte)
{
	if (byte == EXTENDED) {
		d->extended = true;
		return -1;
	}
	if (d->set2 && byte == SET2_RELEASE) {
		d->released = true;
		return -1;
	}
	bool released = d->set2 ? d->released : (byte & SET1_RELEASE) != 0;
	uint8_t code = d->set2 ? byte : byte & (uint8_t)~SET1_RELEASE;
	bool extended = d->extended;
	d->released = d->extended = false;
	if (is_shift(d, code) && !extended) {
		d->shift = !released;
		return -1;
	}
	if (released)
		return -1;
	char c = d->set2 ? (code < sizeof(set2) ? set2[code] : 0)
			 : (code < sizeof(set1) ? set1[code] : 0);
	/* Of the extended keys only the keypad's Enter and slash make characters. */
	if (extended && c != '\r' && c != '/')
		return -1;
	if (!c)
		return -1;
	return d->shift ? shifted(c) : c;
}
