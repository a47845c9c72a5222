#include "kernel/guest_boot.h"
#include "guests/include/kan_guest.h"
#include "kernel/bios_data.h"
#include "kernel/elf_loader.h"
#include "kernel/format.h"
#include "kernel/linux_boot.h"
#include "kernel/memory.h"
#include "kernel/multiboot1_image.h"
#include "kernel/multiboot2_image.h"
#include "kernel/pvh_image.h"
#include "kernel/string.h"
#include "kernel/vm_config.h"

#define PTE_PRESENT  0x1ull
#define PTE_WRITABLE 0x2ull
#define PTE_LARGE    0x80ull

static void write_start_info(struct vm *vm, uint8_t *ram)
{
	struct kan_start_info *info = (void *)(ram + KAN_START_INFO_ADDR);
	info->magic = KAN_START_MAGIC;
	info->abi_version = KAN_ABI_VERSION;
	info->vm_id = vm->id;
	info->vcpus = vm->config.vcpus;
	info->ram_size = vm->config.mem;
	strlcpy(info->name, vm->config.name, sizeof(info->name));
	strlcpy(info->cmdline, vm->cmdline, sizeof(info->cmdline));
}

/* The GDT and identity page tables a 64-bit guest starts with (kan_guest.h, MEMORY). */
static void write_long_mode_tables(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + KAN_GUEST_GDT_ADDR);
	gdt[1] = 0x00af9b000000ffffull; /* 0x08: 64-bit code, accessed */
	gdt[2] = 0x00cf93000000ffffull; /* 0x10: data, accessed */
	gdt[3] = 0x00008b0000000067ull; /* 0x18: busy 64-bit TSS at 0, as the guest's TR says */

	uint64_t *pml4 = (uint64_t *)(ram + KAN_GUEST_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + KAN_GUEST_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + KAN_GUEST_PD_ADDR);
	pml4[0] = KAN_GUEST_PDPT_ADDR | PTE_PRESENT | PTE_WRITABLE;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (KAN_GUEST_PD_ADDR + i * 4096) | PTE_PRESENT | PTE_WRITABLE;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
}

/* The VM's kind=data modules named by module=, as both Multiboot kinds pass them. */
static void boot_modules(const struct vm *vm, struct mb1_module *modules)
{
	for (unsigned i = 0; i < vm->config.module_count; i++) {
		const struct boot_module *m = vm->boot_modules[i];
		modules[i] = (struct mb1_module){ phys_to_ptr(m->start), m->end - m->start,
						  vm->config.modules[i] };
	}
}

/*
 * The entry state of both Multiboot specifications (section 3.2 of each) and of PVH: 32-bit
 * protected mode without paging, EAX the magic (PVH: none) and EBX the information. kan's GDT
 * at KAN_GUEST_GDT_ADDR backs CS and DS.
 */
static void protected_mode_entry(uint8_t *ram, uint32_t entry, uint32_t magic, uint32_t info,
				 struct vcpu_boot_state *boot)
{
	uint64_t *gdt = (uint64_t *)(ram + KAN_GUEST_GDT_ADDR);
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* 0x08: 32-bit code, 4 GiB, accessed */
	gdt[2] = 0x00cf93000000ffffull; /* 0x10: data, 4 GiB, accessed */
	gdt[3] = 0x00008b0000000067ull; /* 0x18: busy TSS at 0, as the guest's TR says */
	memset(boot, 0, sizeof(*boot));
	boot->mode = GUEST_MODE_PROTECTED;
	boot->rip = entry;
	boot->rax = magic;
	boot->rbx = info;
	boot->gdt_base = KAN_GUEST_GDT_ADDR;
	boot->gdt_limit = 4 * 8 - 1;
	boot->cs = 0x08, boot->ds = 0x10, boot->tr = 0x18;
}

/* A Multiboot 1 kernel (kernel/multiboot1_image.h has the layout). */
static int multiboot_prepare(struct vm *vm, const void *image, size_t image_size,
			     struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	struct mb1_image mb;
	if (mb1_load(image, image_size, ram, vm->config.mem, &mb, error, error_size))
		return -1;
	struct mb1_module modules[VM_MODULES_MAX];
	boot_modules(vm, modules);
	mb1_cmdline(vm->cmdline, vm_config_guest_args(vm->cmdline), vm->config.name,
		    (char *)ram + MB1_CMDLINE_ADDR, MB1_CMDLINE_MAX);
	if (mb1_write_info(ram, vm->config.mem, &mb, modules, vm->config.module_count, error,
			   error_size))
		return -1;
	bios_data_area_write(ram);
	protected_mode_entry(ram, mb.entry, MB1_BOOTLOADER_MAGIC, MB1_INFO_ADDR, boot);
	return 0;
}

/* A Multiboot2 kernel (kernel/multiboot2_image.h): Multiboot 1's layout and entry. Its VM has
 * no ACPI tables today, so no RSDP: the NULLs below are where the VM's RSDP would go. */
static int multiboot2_prepare(struct vm *vm, const void *image, size_t image_size,
			      struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	const void *rsdp = NULL;
	struct mb2_image mb;
	if (mb2_load(image, image_size, ram, vm->config.mem, rsdp != NULL, &mb, error, error_size))
		return -1;
	struct mb1_module modules[VM_MODULES_MAX];
	boot_modules(vm, modules);
	mb1_cmdline(vm->cmdline, vm_config_guest_args(vm->cmdline), vm->config.name,
		    (char *)ram + MB2_CMDLINE_ADDR, MB1_CMDLINE_MAX);
	if (mb2_write_info(ram, vm->config.mem, &mb, modules, vm->config.module_count, rsdp, error,
			   error_size))
		return -1;
	bios_data_area_write(ram);
	protected_mode_entry(ram, mb.entry, MB2_BOOTLOADER_MAGIC, MB2_INFO_ADDR, boot);
	return 0;
}

/*
 * A PVH kernel (kernel/pvh_image.h) on kind=linux's board: the same ACPI tables and devices,
 * the initrd as module 0, the memory map with kan's boot data reserved, and the PVH entry:
 * 32-bit protected mode without paging, EBX the start info.
 */
static int pvh_prepare(struct vm *vm, const void *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	struct pvh_image pvh;
	if (pvh_load(image, image_size, ram, vm->config.mem, &pvh, error, error_size))
		return -1;
	struct e820_entry map[E820_BOARD_MAX];
	struct pvh_module initrd;
	struct pvh_boot info = { .rsdp = linux_board_tables(vm, ram),
				 .map = map,
				 .map_entries = e820_board(map, vm->config.mem, PVH_AREA_START,
							   PVH_AREA_END),
				 .modules = &initrd };
	if (vm->initrd) {
		initrd = (struct pvh_module){ phys_to_ptr(vm->initrd->start),
					      vm->initrd->end - vm->initrd->start,
					      vm->config.initrd };
		info.module_count = 1;
	}
	/* The line is built in place, so that the TSC's rate can be added to it. */
	char *cmdline = (char *)ram + PVH_CMDLINE_ADDR;
	strlcpy(cmdline, vm_config_guest_args(vm->cmdline), PVH_CMDLINE_MAX);
	linux_tell_tsc_rate(vm, cmdline, PVH_CMDLINE_MAX - 1);
	info.cmdline = cmdline;
	if (pvh_write_start_info(ram, vm->config.mem, &pvh, &info, error, error_size))
		return -1;
	protected_mode_entry(ram, pvh.entry, 0, PVH_START_INFO_ADDR, boot);
	return 0;
}

int guest_boot_prepare(struct vm *vm, const void *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	if (vm->config.kind == VM_KIND_LINUX) {
		write_long_mode_tables(ram);
		return linux_boot_prepare(vm, image, image_size, boot, error, error_size);
	}
	if (vm->config.kind == VM_KIND_MULTIBOOT)
		return multiboot_prepare(vm, image, image_size, boot, error, error_size);
	if (vm->config.kind == VM_KIND_MULTIBOOT2)
		return multiboot2_prepare(vm, image, image_size, boot, error, error_size);
	if (vm->config.kind == VM_KIND_PVH)
		return pvh_prepare(vm, image, image_size, boot, error, error_size);
	struct elf_image elf;
	if (elf_load(image, image_size, ram, vm->config.mem, &elf, error, error_size))
		return -1;
	write_start_info(vm, ram);
	memset(boot, 0, sizeof(*boot));
	boot->rip = elf.entry;
	boot->rdi = KAN_START_INFO_ADDR;
	if (elf.kind == ELF_KIND_REAL_MODE) {
		boot->mode = GUEST_MODE_REAL;
		boot->rsp = KAN_REAL_MODE_STACK;
		return 0;
	}
	write_long_mode_tables(ram);
	boot->mode = GUEST_MODE_LONG;
	boot->rsp = vm->config.mem;
	boot->cr3 = KAN_GUEST_PML4_ADDR;
	boot->gdt_base = KAN_GUEST_GDT_ADDR;
	boot->gdt_limit = 4 * 8 - 1;
	boot->cs = 0x08, boot->ds = 0x10, boot->tr = 0x18;
	return 0;
}
