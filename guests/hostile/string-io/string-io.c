/*
 * Hostile: string port I/O, which kan does not emulate. op= picks OUTSB (0), INSB (1) or
 * REP OUTSB (2), port= the port: COM1's 0x3f8, which the VM owns, or one nobody owns. kan
 * must stop the VM at that instruction; if it comes back, the guest says STILL RUNNING and
 * ends with status 1.
 */
#include "guest.h"

static const char *const names[] = { "OUTSB", "INSB", "REP OUTSB" };

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t op = guest_arg(info, "op", 0) % 3;
	uint16_t port = (uint16_t)guest_arg(info, "port", 0x3f8);
	static char buffer[] = "string I/O\n";
	char *p = buffer;
	uint64_t count = sizeof(buffer) - 1;
	guest_printf("string-io: %s with port 0x%x\n", names[op], port);
	if (op == 0)
		__asm__ volatile("outsb" : "+S"(p) : "d"(port) : "memory");
	else if (op == 1)
		__asm__ volatile("insb" : "+D"(p) : "d"(port) : "memory");
	else
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(count) : "d"(port) : "memory");
	guest_printf("string-io: %s with port 0x%x came back: STILL RUNNING\n", names[op], port);
	return 1;
}
