/*
 * An interrupt message between a VM's interrupt controllers: what a local APIC's ICR sends,
 * what an IOAPIC redirection entry (or an MSI) delivers. The fields mean what the
 * Intel SDM (Vol. 3A, 11.6.1 "Interrupt Command Register") says of the ICR's.
 */
#ifndef KAN_KERNEL_DEVICES_APIC_MSG_H
#define KAN_KERNEL_DEVICES_APIC_MSG_H

#include <stdbool.h>
#include <stdint.h>

enum apic_delivery {
	APIC_DELIVERY_FIXED = 0,
	APIC_DELIVERY_LOWEST = 1,
	APIC_DELIVERY_SMI = 2,
	APIC_DELIVERY_NMI = 4,
	APIC_DELIVERY_INIT = 5,
	APIC_DELIVERY_SIPI = 6,
	APIC_DELIVERY_EXTINT = 7,
};

enum apic_shorthand {
	APIC_DEST_FIELD = 0,	    /* the destination field names them */
	APIC_DEST_SELF = 1,	    /* the sender only */
	APIC_DEST_ALL = 2,	    /* every APIC, the sender too */
	APIC_DEST_ALL_BUT_SELF = 3, /* every other APIC */
};

struct apic_msg {
	uint8_t vector;
	uint8_t delivery;  /* enum apic_delivery */
	uint8_t shorthand; /* enum apic_shorthand */
	bool logical;	   /* the destination is a logical one (xAPIC: flat or cluster; x2APIC) */
	bool level;	   /* level-triggered (else edge) */
	bool assert;	   /* the ICR's level bit: INIT with it clear is the INIT level de-assert */
	uint32_t dest;	   /* an APIC ID (physical) or a logical mask; 0xff (xAPIC) or
			    * 0xffffffff (x2APIC) in physical mode is a broadcast */
	bool x2apic;	   /* sent in x2APIC terms (32-bit destination) */
};

#endif
