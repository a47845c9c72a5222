/* Reads lines from its UART (typed through kan's "console" command) and echoes them back. */
#include "guest.h"

#define UART_LSR       (KAN_UART_PORT + 5)
#define LSR_DATA_READY 0x01

int64_t guest_main(const struct kan_start_info *info)
{
	char line[80];
	unsigned len = 0;
	guest_printf("%s: type a line; 'bye' ends me\n", info->name);
	for (;;) {
		if (!(guest_in(UART_LSR, 1) & LSR_DATA_READY)) {
			kan_hypercall(KAN_HC_YIELD, 0, 0, 0); /* nothing typed: let others run */
			continue;
		}
		char c = (char)guest_in(KAN_UART_PORT, 1);
		if (c != '\r' && c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = 0;
		guest_printf("echo: %s\n", line);
		if (len == 3 && line[0] == 'b' && line[1] == 'y' && line[2] == 'e')
			return 0;
		len = 0;
	}
}
