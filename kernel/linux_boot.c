/* The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst), version 2.12 and later. */
#include "kernel/linux_boot.h"
#include "arch/x86_64/cpu.h"
#include "guests/include/kan_guest.h"
#include "kernel/devices/acpi_tables.h"
#include "kernel/console.h"
#include "kernel/e820.h"
#include "kernel/format.h"
#include "kernel/memory.h"
#include "kernel/devices/smbios.h"
#include "kernel/string.h"
#include "kernel/time.h"

/* Setup header fields: offsets into the bzImage and into the zero page alike. */
#define HDR_SETUP_SECTS	   0x1f1
#define HDR_JUMP_LEN	   0x201 /* header length: 0x202 + this byte */
#define HDR_MAGIC	   0x202 /* "HdrS" */
#define HDR_VERSION	   0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS	   0x211
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_CMD_LINE_PTR   0x228
#define HDR_INITRD_MAX	   0x22c
#define HDR_XLOADFLAGS	   0x236
#define HDR_CMDLINE_SIZE   0x238
#define HDR_PREF_ADDRESS   0x258
#define HDR_INIT_SIZE	   0x260
#define ZP_ACPI_RSDP_ADDR  0x070
#define ZP_E820_ENTRIES	   0x1e8
#define ZP_E820_TABLE	   0x2d0

#define LOADED_HIGH    0x01
#define XLF_KERNEL_64  0x01
#define LOADER_UNKNOWN 0xff

/* Where kan puts things for Linux (guest-physical). */
#define LINUX_ZERO_PAGE 0x10000
#define LINUX_CMDLINE	0x20000
#define LINUX_STACK	0xf000
#define LINUX_BOOT_CS	0x10
#define LINUX_BOOT_DS	0x18
#define LINUX_BOOT_TR	0x20
#define LINUX_ACPI	0xe0000 /* in the reserved BIOS area, where Linux also scans */
#define LINUX_SMBIOS	0xf0000 /* where Linux scans for the SMBIOS entry point */

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		ksnprintf(error, error_size, __VA_ARGS__);                                         \
		return -1;                                                                         \
	} while (0)

static uint32_t get32(const uint8_t *p, unsigned off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

static void put32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* The zero page and kan's other boot data are copied by Linux before it frees anything, so
 * kind=linux reserves none of it. */
static void write_e820(uint8_t *zero_page, uint64_t mem)
{
	struct e820_entry map[E820_BOARD_MAX];
	unsigned n = e820_board(map, mem, 0, 0);
	memcpy(zero_page + ZP_E820_TABLE, map, n * sizeof(map[0]));
	zero_page[ZP_E820_ENTRIES] = (uint8_t)n;
}

/* A flat GDT at the selectors the 64-bit boot protocol names. */
static void write_gdt(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + KAN_GUEST_GDT_ADDR);
	memset(gdt, 0, 6 * 8);
	gdt[LINUX_BOOT_CS / 8] = 0x00af9b000000ffffull; /* 64-bit code */
	gdt[LINUX_BOOT_DS / 8] = 0x00cf93000000ffffull; /* data */
	gdt[LINUX_BOOT_TR / 8] = 0x00008b0000000067ull; /* busy TSS at 0 */
}

/*
 * Linux reads the TSC's rate from CPUID 0x15/0x16 (kan's CPUID policy offers them) only on
 * Intel. Elsewhere it measures the TSC against the PIT or the PM timer, which a busy host (an
 * emulator's thread losing its core) can make fail, and then it gives the TSC up. So on AMD kan
 * adds tsc_early_khz= with its own rate, unless the line has one already.
 */
void linux_tell_tsc_rate(struct vm *vm, char *cmdline, size_t max)
{
	if (cpu_is_intel() || strstr(cmdline, "tsc_early_khz="))
		return;
	size_t used = strlen(cmdline);
	int n = ksnprintf(cmdline + used, max + 1 - used, "%stsc_early_khz=%lu", used ? " " : "",
			  time_tsc_hz() / 1000);
	if (used + (size_t)n > max) {
		cmdline[used] = '\0'; /* no room: Linux measures, as it would have */
		return;
	}
	printk("kan: vm %s: Linux is told the TSC's rate (%s)\n", vm->config.name,
	       cmdline + used + (used ? 1 : 0));
}

uint64_t linux_board_tables(struct vm *vm, uint8_t *ram)
{
	/* One vCPU: no MADT, so Linux keeps the 8259. Several: the MADT lists their local APICs
	 * and the IOAPIC (kernel/vm_apic.c), and Linux starts them. */
	bool smp = vm->config.vcpus > 1;
	struct acpi_board board = { .cpus = smp ? vm->config.vcpus : 0,
				    .ioapic = smp,
				    .devices = vm->devices.acpi,
				    .device_count = vm->devices.count };
	uint64_t rsdp = acpi_tables_build(ram + LINUX_ACPI, LINUX_ACPI, &board);
	smbios_build(ram + LINUX_SMBIOS, LINUX_SMBIOS);
	return rsdp;
}

int linux_boot_prepare(struct vm *vm, const uint8_t *image, size_t image_size,
		       struct vcpu_boot_state *boot, char *error, size_t error_size)
{
	uint8_t *ram = phys_to_ptr(vm->ram_base);
	uint64_t mem = vm->config.mem;
	if (image_size < 0x1000 || memcmp(image + HDR_MAGIC, "HdrS", 4))
		FAIL("not a Linux bzImage (no HdrS setup header)");
	uint16_t version = (uint16_t)(image[HDR_VERSION] | image[HDR_VERSION + 1] << 8);
	uint16_t xloadflags = (uint16_t)(image[HDR_XLOADFLAGS] | image[HDR_XLOADFLAGS + 1] << 8);
	if (version < 0x020c || !(xloadflags & XLF_KERNEL_64) ||
	    !(image[HDR_LOADFLAGS] & LOADED_HIGH))
		FAIL("boot protocol %x.%02x without a 64-bit entry: kan needs 2.12+", version >> 8,
		     version & 0xff);
	unsigned setup_sects = image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4;
	size_t kernel_offset = (setup_sects + 1) * 512;
	uint64_t load = 0, init_size = get32(image, HDR_INIT_SIZE);
	memcpy(&load, image + HDR_PREF_ADDRESS, 8);
	if (kernel_offset >= image_size || load < 0x100000 || load + init_size > mem)
		FAIL("the kernel needs RAM up to 0x%lx; the VM has %lu MiB", load + init_size,
		     mem >> 20);
	memcpy(ram + load, image + kernel_offset, image_size - kernel_offset);

	uint8_t *zp = ram + LINUX_ZERO_PAGE;
	memset(zp, 0, 4096);
	memcpy(zp + HDR_SETUP_SECTS, image + HDR_SETUP_SECTS,
	       (size_t)(0x202 + image[HDR_JUMP_LEN] - HDR_SETUP_SECTS));
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNKNOWN;
	write_e820(zp, mem);
	uint64_t rsdp = linux_board_tables(vm, ram);
	memcpy(zp + ZP_ACPI_RSDP_ADDR, &rsdp, 8);

	const char *cmdline = vm_config_guest_args(vm->cmdline);
	size_t cmdline_max = get32(image, HDR_CMDLINE_SIZE);
	if (strlen(cmdline) > cmdline_max)
		FAIL("the kernel command line is longer than the kernel's %lu bytes", cmdline_max);
	strlcpy((char *)ram + LINUX_CMDLINE, cmdline, 4096);
	linux_tell_tsc_rate(vm, (char *)ram + LINUX_CMDLINE,
			    cmdline_max < 4095 ? cmdline_max : 4095);
	put32(zp, HDR_CMD_LINE_PTR, LINUX_CMDLINE);

	if (vm->initrd) {
		uint64_t size = vm->initrd->end - vm->initrd->start;
		uint64_t top = mem < (uint64_t)get32(image, HDR_INITRD_MAX) + 1
				       ? mem
				       : (uint64_t)get32(image, HDR_INITRD_MAX) + 1;
		uint64_t at = (top - size) & ~0xfffull;
		if (size >= top || at < load + init_size)
			FAIL("the initrd (%lu KiB) does not fit above the kernel in %lu MiB",
			     size >> 10, mem >> 20);
		memcpy(ram + at, phys_to_ptr(vm->initrd->start), size);
		put32(zp, HDR_RAMDISK_IMAGE, (uint32_t)at);
		put32(zp, HDR_RAMDISK_SIZE, (uint32_t)size);
	}

	write_gdt(ram);
	memset(boot, 0, sizeof(*boot));
	boot->mode = GUEST_MODE_LONG;
	boot->rip = load + 0x200; /* the 64-bit entry, startup_64 */
	boot->rsp = LINUX_STACK;
	boot->rsi = LINUX_ZERO_PAGE;
	boot->cr3 = KAN_GUEST_PML4_ADDR;
	boot->gdt_base = KAN_GUEST_GDT_ADDR;
	boot->gdt_limit = 6 * 8 - 1;
	boot->cs = LINUX_BOOT_CS, boot->ds = LINUX_BOOT_DS, boot->tr = LINUX_BOOT_TR;
	return 0;
}
