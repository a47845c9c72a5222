/*
 * How kan talks to the local APIC, decided once at boot: xAPIC (a memory-mapped page, 8-bit
 * IDs) or x2APIC (MSRs, 32-bit IDs). Pure: the register numbers, the ICR encoding and the
 * choice of mode, unit-tested; lapic.c does the accesses.
 */
#ifndef KAN_ARCH_LAPIC_MODE_H
#define KAN_ARCH_LAPIC_MODE_H

#include <stdbool.h>
#include <stdint.h>

enum lapic_mode { LAPIC_XAPIC, LAPIC_X2APIC };

/* kan's `x2apic=` option. */
enum lapic_x2apic_option { X2APIC_AUTO, X2APIC_ON, X2APIC_OFF };

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_EXTD	   (1ull << 10) /* x2APIC mode (SDM Vol. 3A, 11.12.1) */
#define APIC_BASE_ENABLE   (1ull << 11)
#define CPUID_1_ECX_X2APIC (1u << 21)

/* The highest xAPIC ID an IPI can name: 0xff is the broadcast destination. */
#define XAPIC_MAX_ID 0xfe

struct lapic_mode_inputs {
	bool firmware_x2apic; /* IA32_APIC_BASE.EXTD was set when kan started */
	bool cpu_has_x2apic;  /* CPUID.1:ECX[21] */
	uint32_t max_apic_id; /* the highest APIC ID the MADT lists (or this CPU's own) */
	enum lapic_x2apic_option option;
};

struct lapic_mode_choice {
	enum lapic_mode mode;
	const char *why; /* one phrase for the boot log */
};

struct lapic_mode_choice lapic_mode_choose(const struct lapic_mode_inputs *in);

/* The x2APIC MSR of the xAPIC register at `offset` (SDM Vol. 3A, Table 11-6). */
static inline uint32_t lapic_x2apic_msr(unsigned offset)
{
	return 0x800 + offset / 16;
}

/* The ICR as one 64-bit value: xAPIC puts the 8-bit destination in bits 63:56 (the high
 * register's 31:24), x2APIC the 32-bit destination in bits 63:32. */
uint64_t lapic_icr_encode(enum lapic_mode mode, uint32_t destination, uint32_t command);
/* Whether an IPI in this mode can name the CPU with APIC ID `id`. */
bool lapic_can_address(enum lapic_mode mode, uint32_t id);
/* The APIC ID in the ID register's raw value. */
uint32_t lapic_id_from_register(enum lapic_mode mode, uint32_t raw);

#endif
