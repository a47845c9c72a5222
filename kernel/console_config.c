/* console= on kan's command line, read before anything else there so that the rest of the
 * boot is seen where the user asked. */
#include "kernel/console_config.h"
#include "drivers/uart16550.h"
#include "kernel/format.h"
#include "kernel/string.h"

#define CONSOLE_VALUE_MAX 64

/* The value of the last "console=" token, copied into `value`; false if none. */
static bool find_value(const char *line, char *value, size_t size)
{
	bool found = false;
	while (*line) {
		while (*line == ' ')
			line++;
		const char *token = line;
		while (*line && *line != ' ')
			line++;
		size_t len = (size_t)(line - token);
		if (len >= 8 && !strncmp(token, "console=", 8)) {
			len -= 8;
			if (len >= size)
				len = size - 1;
			memcpy(value, token + 8, len);
			value[len] = '\0';
			found = true;
		}
	}
	return found;
}

static bool parse_port(const char *item, uint16_t *port)
{
	static const uint16_t com[4] = { UART_COM1, UART_COM2, UART_COM3, UART_COM4 };
	if (!strncmp(item, "com", 3) && item[3] >= '1' && item[3] <= '4' && !item[4]) {
		*port = com[item[3] - '1'];
		return true;
	}
	if (item[0] != '0' || item[1] != 'x' || !item[2])
		return false;
	uint32_t value = 0;
	for (const char *p = item + 2; *p; p++) {
		int digit = *p >= '0' && *p <= '9'   ? *p - '0'
			    : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			    : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						     : -1;
		if (digit < 0 || (value = value * 16 + (uint32_t)digit) > 0xfff8)
			return false;
	}
	*port = (uint16_t)value;
	return value != 0;
}

int console_choice_parse(const char *cmdline, struct console_choice *out, char *error,
			 size_t error_size)
{
	*out = (struct console_choice){ 0 };
	char value[CONSOLE_VALUE_MAX];
	if (!find_value(cmdline, value, sizeof(value)))
		return 0;
	out->given = true;
	bool none = false;
	for (char *item = value; item;) {
		char *comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		uint16_t port;
		if (!strcmp(item, "fb")) {
			out->screen = true;
		} else if (!strcmp(item, "none")) {
			none = true;
		} else if (parse_port(item, &port)) {
			if (out->serial_port) {
				ksnprintf(error, error_size,
					  "console= names two serial ports (%s): kan uses one",
					  item);
				goto refuse;
			}
			out->serial_port = port;
		} else {
			ksnprintf(error, error_size,
				  "console= has '%s' (com1-com4, an I/O port like 0x2f8, fb, none)",
				  item);
			goto refuse;
		}
		item = comma ? comma + 1 : 0;
	}
	if (none && (out->screen || out->serial_port)) {
		ksnprintf(error, error_size, "console=none with another console");
		goto refuse;
	}
	return 0;
refuse:
	*out = (struct console_choice){ 0 };
	return -1;
}
