/*
 * Hostile: the port writes that reset, power off or reprogram a PC (or the emulator under
 * it), each followed by a read of the same port. kan owns every port but COM1: the writes
 * must do nothing and the reads must be all ones. If any of them reached the machine, kan
 * would reboot or vanish, and the scenario sees that. With "-- ms=N" it repeats the round,
 * quietly, for N ms, so that it competes with its neighbours for that long. Ends with status
 * 0 if all held.
 */
#include "guest.h"

struct port_write {
	uint16_t port;
	uint8_t size;
	uint32_t value;
	const char *what;
};

static const struct port_write attacks[] = {
	{ 0xcf9, 1, 0x06, "reset control: hard reset" },
	{ 0xcf9, 1, 0x0e, "reset control: full reset" },
	{ 0x64, 1, 0xfe, "8042 keyboard controller: pulse the reset line" },
	{ 0x92, 1, 0x01, "system control port A: fast reset" },
	{ 0xf4, 1, 0x00, "QEMU isa-debug-exit: exit the emulator" },
	{ 0x604, 2, 0x2000, "QEMU ACPI PM1a control: power off" },
	{ 0xb004, 2, 0x2000, "Bochs/QEMU PIIX4 ACPI PM1a control: power off" },
	{ 0xb2, 1, 0x00, "APM control: raise an SMI" },
	{ 0x8a00, 2, 0x8ae0, "Bochs I/O debugger: enter the debugger" },
	{ 0xe9, 1, 'K', "Bochs port e9 hack: write to the emulator's console" },
	{ 0x20, 1, 0x11, "master PIC: restart initialization" },
	{ 0x21, 1, 0xff, "master PIC: mask every IRQ" },
	{ 0xa1, 1, 0xff, "slave PIC: mask every IRQ" },
	{ 0x43, 1, 0x30, "PIT: reprogram channel 0" },
	{ 0x40, 1, 0x01, "PIT: channel 0 count" },
	{ 0x70, 1, 0x8f, "CMOS: disable NMI, select the shutdown status byte" },
	{ 0x71, 1, 0x0a, "CMOS: shutdown status = jump via 40:67" },
	{ 0x1f7, 1, 0xec, "IDE: IDENTIFY DEVICE" },
	{ 0x510, 2, 0x0000, "QEMU fw_cfg: select the signature" },
	{ 0xcf8, 4, 0x80000004, "PCI: select 00:00.0 command register" },
	{ 0xcfc, 4, 0x00000000, "PCI: turn off decoding of the host bridge" },
	{ 0xcf8, 4, 0x80000000, "PCI: select 00:00.0 vendor/device ID" },
};
#define ATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static const char shutdown[] = "Shutdown";

static uint32_t all_ones(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* One round of every attack; `loud` prints each one. Returns the reads that were not all
 * ones and adds to *accesses. */
static unsigned attack_round(int loud, unsigned *accesses)
{
	unsigned wrong = 0;
	if (loud)
		guest_printf("reset-ports: writing \"%s\" to port 0x8900 (Bochs and old QEMU power "
			     "off)\n",
			     shutdown);
	for (const char *c = shutdown; *c; c++, (*accesses)++)
		guest_out(0x8900, 1, (uint8_t)*c);
	uint32_t v = guest_in(0x8900, 1);
	(*accesses)++;
	wrong += v != 0xff;
	if (loud)
		guest_printf("reset-ports:   still here; port 0x8900 reads 0x%x\n", v);
	for (unsigned i = 0; i < ATTACKS; i++) {
		const struct port_write *a = &attacks[i];
		if (loud)
			guest_printf("reset-ports: OUT 0x%x (size %u) to port 0x%x: %s\n", a->value,
				     a->size, a->port, a->what);
		guest_out(a->port, a->size, a->value);
		v = guest_in(a->port, a->size);
		*accesses += 2;
		wrong += v != all_ones(a->size);
		if (loud)
			guest_printf("reset-ports:   still here; port 0x%x reads 0x%x%s\n", a->port,
				     v, v == all_ones(a->size) ? "" : " (NOT ALL ONES)");
	}
	v = guest_in(0xcfc, 4);
	(*accesses)++;
	wrong += v != 0xffffffffu;
	if (loud)
		guest_printf("reset-ports: PCI 00:00.0 vendor/device ID through 0xcfc: 0x%x (a PC "
			     "would show its host bridge)\n",
			     v);
	return wrong;
}

int64_t guest_main(const struct kan_start_info *info)
{
	uint64_t ms = guest_arg(info, "ms", 0);
	uint64_t end = kan_time_ns() + ms * 1000000, rounds = 1;
	unsigned accesses = 0, wrong = attack_round(1, &accesses);
	for (; kan_time_ns() < end; rounds++)
		wrong += attack_round(0, &accesses);
	guest_printf(
		"reset-ports done: %lu rounds, %u port accesses (%lu writes), %u reads not all "
		"ones\n",
		rounds, accesses, rounds * (ATTACKS + sizeof(shutdown) - 1), wrong);
	return wrong ? 1 : 0;
}
