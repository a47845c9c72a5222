/*
 * A VM's virtio devices: the disk (disk=) and the network card (net=) its config line asks
 * for, where they sit in its address space, and their part in its lifecycle. Disks are the
 * kind=disk modules GRUB loaded, kept in kan's memory for as long as kan runs: a disk given
 * read-write belongs to one VM alone; a read-only one may be shared.
 *
 * Guest-physical layout: device n (the disk first, then the NIC) has its virtio-mmio
 * registers at KAN_VIRTIO_MMIO_BASE + n * 0x1000 and, in a Linux VM, ISA IRQ 10 + n; the
 * VM's ACPI tables describe both. kind=elf guests poll (they have no interrupt controller).
 */
#ifndef KAN_KERNEL_VM_DEVICES_H
#define KAN_KERNEL_VM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/devices/acpi_tables.h"
#include "kernel/devices/mmiobus.h"
#include "kernel/multiboot2.h"

#define VM_DEVICE_IRQ_FIRST 10

struct vm;
struct virtio_blk;
struct virtio_net;
struct disk;

struct vm_devices {
	struct mmiobus mmio;
	struct virtio_blk *disk;
	struct disk *disk_source;
	struct virtio_net *net;
	struct acpi_mmio_device acpi[ACPI_MMIO_DEVICES_MAX]; /* what the DSDT describes */
	unsigned count;
};

/* A kind=disk module, at boot: noted by name for disk= to find. */
void vm_disk_add(const char *name, const struct boot_module *module);
/* The devices the VM's config asks for; -1 with a message naming the key if it cannot
 * have them (no such disk, a disk another VM writes, no room). */
int vm_devices_create(struct vm *vm, char *error, size_t error_size);
/* Back to power-on state, at the VM's reset; a disk keeps what was written to it. */
void vm_devices_reset(struct vm *vm);
/* When the VM is destroyed: the disk free for another VM, the NIC off its switch. */
void vm_devices_release(struct vm *vm);
/* On the VM's CPU before it enters the guest: frames waiting for its NIC go in. */
void vm_devices_poll(struct vm *vm);
/* Whether something waits to be delivered (a frame for its NIC). */
bool vm_devices_pending(const struct vm *vm);
/* One line per device: requests, bytes, errors (vm info and the end of the run). */
void vm_devices_report(const struct vm *vm);
/* At the end of the run: each disk's size, who used it, and a checksum of its contents. */
void vm_disks_report(void);

#endif
