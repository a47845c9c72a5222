#include "arch/x86_64/lapic_mode.h"

struct lapic_mode_choice lapic_mode_choose(const struct lapic_mode_inputs *in)
{
	/* Leaving x2APIC means disabling the APIC, and some firmware locks it on: keep it. */
	if (in->firmware_x2apic)
		return (struct lapic_mode_choice){
			LAPIC_X2APIC, in->option == X2APIC_OFF
					      ? "firmware left it on (x2apic=off cannot undo that)"
					      : "firmware left it on"
		};
	if (in->option == X2APIC_OFF)
		return (struct lapic_mode_choice){ LAPIC_XAPIC, "x2apic=off" };
	if (!in->cpu_has_x2apic)
		return (struct lapic_mode_choice){ LAPIC_XAPIC,
						   in->option == X2APIC_ON
							   ? "x2apic=on, but this CPU has no x2APIC"
							   : "this CPU has no x2APIC" };
	if (in->option == X2APIC_ON)
		return (struct lapic_mode_choice){ LAPIC_X2APIC, "x2apic=on" };
	if (in->max_apic_id > XAPIC_MAX_ID)
		return (struct lapic_mode_choice){ LAPIC_X2APIC,
						   "the MADT lists APIC IDs above 254" };
	return (struct lapic_mode_choice){ LAPIC_XAPIC, "every APIC ID fits in 8 bits" };
}

uint64_t lapic_icr_encode(enum lapic_mode mode, uint32_t destination, uint32_t command)
{
	if (mode == LAPIC_X2APIC)
		return (uint64_t)destination << 32 | command;
	return (uint64_t)(destination & 0xff) << 56 | command;
}

bool lapic_can_address(enum lapic_mode mode, uint32_t id)
{
	return mode == LAPIC_X2APIC ? id != 0xffffffffu : id <= XAPIC_MAX_ID;
}

uint32_t lapic_id_from_register(enum lapic_mode mode, uint32_t raw)
{
	return mode == LAPIC_X2APIC ? raw : raw >> 24;
}
