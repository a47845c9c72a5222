/* When kan itself cannot go on: say why, show where, end the run. */
#ifndef KAN_KERNEL_PANIC_H
#define KAN_KERNEL_PANIC_H

#include "kernel/vm_config.h"

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* A clean, deliberate end of the machine (nothing left to run, or a refusal to start). */
__attribute__((noreturn)) void kan_shutdown(int code, const char *why);
/* How kan_shutdown ends the machine, from kan's line (on_end=, emulator_exit=). */
void kan_shutdown_configure(const struct kan_config *kan);

#endif
