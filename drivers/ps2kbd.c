/* The 8042 keyboard controller: ports 0x60 (data) and 0x64 (status and commands). */
#include "drivers/ps2kbd.h"
#include "arch/x86_64/cpu.h"
#include "drivers/ps2_scancode.h"

#define PS2_DATA	 0x60
#define PS2_STATUS	 0x64
#define PS2_COMMAND	 0x64
#define PS2_OUTPUT_FULL	 0x01
#define PS2_INPUT_FULL	 0x02
#define PS2_AUX_DATA	 0x20 /* the byte waiting is the mouse's */
#define PS2_READ_CONFIG	 0x20
#define PS2_WRITE_CONFIG 0x60
#define PS2_CONFIG_IRQ1	 0x01
#define PS2_CONFIG_XLATE 0x40
#define PS2_WAIT_ROUNDS	 100000 /* a controller that answers does so in microseconds */

static struct ps2_decoder decoder;
static bool present;

static bool wait_status(uint8_t mask, bool set)
{
	for (int i = 0; i < PS2_WAIT_ROUNDS; i++) {
		if (((inb(PS2_STATUS) & mask) != 0) == set)
			return true;
		cpu_relax();
	}
	return false;
}

static bool send_command(uint8_t command)
{
	if (!wait_status(PS2_INPUT_FULL, false))
		return false;
	outb(PS2_COMMAND, command);
	return true;
}

bool ps2kbd_init(const char **why)
{
	if (inb(PS2_STATUS) == 0xff) {
		*why = "nothing answers at port 0x64";
		return false;
	}
	for (int i = 0; i < 32 && (inb(PS2_STATUS) & PS2_OUTPUT_FULL); i++)
		(void)inb(PS2_DATA); /* keys pressed during the boot */
	if (!send_command(PS2_READ_CONFIG) || !wait_status(PS2_OUTPUT_FULL, true)) {
		*why = "the 8042 does not answer its read-configuration command";
		return false;
	}
	uint8_t config = inb(PS2_DATA);
	decoder = (struct ps2_decoder){ .set2 = !(config & PS2_CONFIG_XLATE) };
	if (!send_command(PS2_WRITE_CONFIG) || !wait_status(PS2_INPUT_FULL, false)) {
		*why = "the 8042 does not take its configuration";
		return false;
	}
	outb(PS2_DATA, config | PS2_CONFIG_IRQ1);
	present = true;
	return true;
}

bool ps2kbd_translated(void)
{
	return !decoder.set2;
}

bool ps2kbd_poll(bool (*on_char)(char c))
{
	bool wants_attention = false;
	for (int i = 0; present && i < 32; i++) {
		uint8_t status = inb(PS2_STATUS);
		if (!(status & PS2_OUTPUT_FULL))
			break;
		uint8_t byte = inb(PS2_DATA);
		if (status & PS2_AUX_DATA)
			continue;
		int c = ps2_decode(&decoder, byte);
		if (c >= 0 && on_char((char)c))
			wants_attention = true;
	}
	return wants_attention;
}
