/*
 * Hostile: probes the host's interrupt controllers through MMIO, at the addresses a PC has
 * them: "-- addr=0xfee00020" (default: the LAPIC ID register), "write=1" to write instead
 * (e.g. the IOAPIC's IOREGSEL at 0xfec00000). Those addresses are outside the guest's RAM:
 * kan must stop it with an EPT violation at exactly that address; it never returns.
 */
#include "guest.h"

static const char *device_at(uint64_t addr)
{
	if (addr >= 0xfee00000 && addr < 0xfef00000)
		return "local APIC";
	if (addr >= 0xfec00000 && addr < 0xfed00000)
		return "IOAPIC";
	if (addr >= 0xfed00000 && addr < 0xfed01000)
		return "HPET";
	return "MMIO";
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_trap_install();
	uint64_t addr = guest_arg(info, "addr", 0xfee00020);
	const char *device = device_at(addr);
	if (guest_arg(info, "write", 0)) {
		/* For the IOAPIC: select redirection entry 0, the first step to rerouting an IRQ.
		 */
		guest_printf(
			"mmio-probe: writing 0x10 to the %s at 0x%lx: kan must stop me (write)\n",
			device, addr);
		*(volatile uint32_t *)addr = 0x10;
		guest_printf("mmio-probe: WRITE SUCCEEDED to the %s at 0x%lx\n", device, addr);
	} else {
		guest_printf("mmio-probe: reading the %s at 0x%lx: kan must stop me (read)\n",
			     device, addr);
		uint32_t v = *(volatile uint32_t *)addr;
		guest_printf("mmio-probe: READ SUCCEEDED from the %s at 0x%lx: 0x%x\n", device,
			     addr, v);
	}
	return 1;
}
