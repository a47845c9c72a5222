/* Ending the run: kan powers off the emulator it runs in, or halts a real machine. */
#ifndef KAN_DRIVERS_PLATFORM_EXIT_H
#define KAN_DRIVERS_PLATFORM_EXIT_H

#include <stdint.h>

/* Tries Bochs's shutdown port, QEMU's isa-debug-exit, then halts this CPU forever. */
__attribute__((noreturn)) void platform_exit(uint8_t code);

#endif
