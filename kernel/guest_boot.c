#include "kernel/guest_boot.h"
#include "guests/include/kan_guest.h"
#include "kernel/elf_loader.h"
#include "kernel/format.h"
#include "kernel/linux_boot.h"
#include "kernel/memory.h"
#include "kernel/string.h"

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

int guest_boot_prepare(struct vm *vm, const void *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	if (vm->config.kind == VM_KIND_LINUX) {
		write_long_mode_tables(ram);
		return linux_boot_prepare(vm, image, image_size, boot, error, error_size);
	}
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
