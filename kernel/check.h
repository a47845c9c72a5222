/* `kan check`: what this machine offers kan, said plainly, then the end; no VM runs. */
#ifndef KAN_KERNEL_CHECK_H
#define KAN_KERNEL_CHECK_H

#include "drivers/acpi.h"
#include "kernel/multiboot2.h"
#include "kernel/vm_config.h"

/* Prints the report and its verdict, then ends the machine (halt, or an emulator's exit). */
__attribute__((noreturn)) void kan_check(const struct boot_info *boot, const struct madt_info *madt,
					 const struct kan_config *kan);

#endif
