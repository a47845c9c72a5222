/* CPUID's extended leaves (0x80000000 and up) as a guest sees them: pure, unit-tested. */
#ifndef KAN_KERNEL_CPUID_EXTENDED_H
#define KAN_KERNEL_CPUID_EXTENDED_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"

#define CPUID_EXTENDED_BASE 0x80000000u

/* The guest's answer for extended `leaf`, from `host`, the CPU's answer for it, and
 * `host_max`, the CPU's highest extended leaf (CPUID 0x80000000:EAX). */
struct cpuid_regs cpuid_extended_leaf(uint32_t leaf, struct cpuid_regs host, uint32_t host_max);

#endif
