/* The exit port (exitport=yes): QEMU's isa-debug-exit convention, so that test kernels written
 * for QEMU end a VM the same way. */
#ifndef KAN_KERNEL_DEVICES_EXIT_PORT_H
#define KAN_KERNEL_DEVICES_EXIT_PORT_H

#include <stdbool.h>
#include <stdint.h>

/* An iobus handler; `device` is the struct vm. A write of 1, 2 or 4 bytes ends the VM with
 * the value written as its exit status; a read finds no hardware (all ones). */
void exit_port_io(void *device, uint16_t port, unsigned size, bool write, uint32_t *value);

#endif
