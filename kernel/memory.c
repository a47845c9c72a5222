#include "kernel/memory.h"
#include "arch/x86_64/paging.h"
#include "kernel/console.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#define LOW_LIMIT    (4ull << 30) /* what boot/entry.asm maps, and so all memory_init may touch */
#define MODULE_BATCH 8
#define MIB(bytes)   ((bytes) >> 20)

extern char _kernel_start[], _kernel_end[];

static struct pmem pmem;
static struct spinlock pmem_lock;
static uint64_t ram_total, ram_low, ram_high;

/* Copies GRUB's module list into memory of kan's own: there may be any number of modules. */
static void keep_modules(struct boot_info *boot, const void *mbi)
{
	if (!boot->module_count)
		return;
	uint64_t bytes = (uint64_t)boot->module_count * sizeof(struct boot_module);
	boot->modules = phys_to_ptr(phys_alloc(bytes, PAGE_SIZE));
	if (!boot->modules) {
		printk("kan: memory: no room for the list of %d modules: none will run\n",
		       boot->module_count);
		boot->module_count = 0;
		return;
	}
	mb2_modules(mbi, 0, boot->modules, boot->module_count);
}

void memory_init(struct boot_info *boot, uint64_t mbi_start, uint64_t mbi_end)
{
	pmem_init(&pmem);
	for (int i = 0; i < boot->ram_count; i++) {
		uint64_t start = boot->ram[i].start, end = boot->ram[i].end;
		ram_total += end - start;
		/* RAM above 4 GiB joins once kan's page tables map it (memory_add_high). */
		if (end > LOW_LIMIT)
			end = LOW_LIMIT;
		if (start < end) {
			ram_low += end - start;
			pmem_add(&pmem, start, end);
		}
	}
	/* Below 1 MiB live the BIOS data, the AP trampoline and firmware leftovers. */
	pmem_reserve(&pmem, 0, 1ull << 20);
	pmem_reserve(&pmem, (uint64_t)_kernel_start, (uint64_t)_kernel_end);
	pmem_reserve(&pmem, mbi_start, mbi_end);
	/* Modules are kept for restarts and `vm create`; GRUB places them below 4 GiB. */
	struct boot_module batch[MODULE_BATCH];
	const void *mbi = phys_to_ptr(mbi_start);
	for (int first = 0, n; first < boot->module_count; first += n) {
		n = mb2_modules(mbi, first, batch, MODULE_BATCH);
		if (!n)
			break;
		for (int i = 0; i < n; i++)
			pmem_reserve(&pmem, batch[i].start, batch[i].end);
	}
	keep_modules(boot, mbi);
}

void memory_add_high(const struct boot_info *boot)
{
	uint64_t unmapped = 0;
	for (int i = 0; i < boot->ram_count; i++) {
		uint64_t start = boot->ram[i].start, end = boot->ram[i].end;
		if (start < LOW_LIMIT)
			start = LOW_LIMIT;
		if (end > PAGING_IDENTITY_LIMIT)
			end = PAGING_IDENTITY_LIMIT;
		if (start >= end)
			continue;
		ram_high += end - start;
		start = (start + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); /* whole pages of RAM only */
		end &= ~(PAGE_SIZE - 1);
		if (start >= end)
			continue;
		if (paging_map(start, end, PAGE_PRESENT | PAGE_WRITABLE | PAGE_NX)) {
			spin_lock(&pmem_lock);
			pmem_add(&pmem, start, end);
			spin_unlock(&pmem_lock);
		} else {
			unmapped += end - start;
		}
	}
	printk("kan: memory: %lu MiB RAM (%lu MiB above 4 GiB), %lu MiB free for VMs (kan itself "
	       "%lu KiB at 0x%lx)\n",
	       MIB(ram_total), MIB(ram_high), MIB(phys_free_bytes()),
	       ((uint64_t)_kernel_end - (uint64_t)_kernel_start) >> 10, (uint64_t)_kernel_start);
	uint64_t beyond = ram_total - ram_low - ram_high;
	if (beyond)
		printk("kan: memory: %lu MiB of RAM lie above what kan maps (%lu GiB): unused\n",
		       MIB(beyond), (uint64_t)(PAGING_IDENTITY_LIMIT >> 30));
	if (unmapped)
		printk("kan: memory: %lu MiB above 4 GiB unused: no memory left for the page "
		       "tables "
		       "that would map it\n",
		       MIB(unmapped));
	static const char *const types[8] = { "UC", "WC", "?", "?", "WT", "WP", "WB", "?" };
	printk("kan: memory types: MTRRs %s, default %s, %u large pages split; %s pages; LAPIC "
	       "0x%lx UC\n",
	       paging_info.mtrrs_on ? "on" : "off", types[paging_info.mtrr_default_type & 7],
	       paging_info.mtrr_splits, paging_info.gib_pages ? "1 GiB" : "2 MiB",
	       paging_info.lapic_page);
	if (boot->ram_dropped)
		printk("kan: memory: the memory map lists %d RAM ranges more than kan keeps (%d): "
		       "their %lu MiB go unused\n",
		       boot->ram_dropped, BOOT_MAX_RAM_RANGES, MIB(boot->ram_dropped_bytes));
}

static uint64_t allocate(uint64_t size, uint64_t align, bool top)
{
	spin_lock(&pmem_lock);
	uint64_t p = top ? pmem_alloc_top(&pmem, size, align) : pmem_alloc(&pmem, size, align);
	spin_unlock(&pmem_lock);
	if (p)
		memset(phys_to_ptr(p), 0, size);
	return p;
}

uint64_t phys_alloc(uint64_t size, uint64_t align)
{
	return allocate(size, align, false);
}

uint64_t phys_alloc_top(uint64_t size, uint64_t align)
{
	return allocate(size, align, true);
}

void phys_free(uint64_t start, uint64_t size)
{
	spin_lock(&pmem_lock);
	pmem_free(&pmem, start, size);
	spin_unlock(&pmem_lock);
}

uint64_t phys_free_bytes(void)
{
	spin_lock(&pmem_lock);
	uint64_t n = pmem_free_bytes(&pmem);
	spin_unlock(&pmem_lock);
	return n;
}

uint64_t stack_alloc(uint64_t size)
{
	uint64_t base = phys_alloc(size + PAGE_SIZE, PAGE_SIZE);
	if (!base)
		return 0;
	if (!paging_set(base, base + PAGE_SIZE, 0)) {
		phys_free(base, size + PAGE_SIZE);
		return 0;
	}
	return base + PAGE_SIZE + size;
}
