#include "kernel/memory.h"
#include "arch/x86_64/paging.h"
#include "kernel/console.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

extern char _kernel_start[], _kernel_end[];

static struct pmem pmem;
static struct spinlock pmem_lock;

void memory_init(const struct boot_info *boot, uint64_t mbi_start, uint64_t mbi_end)
{
	pmem_init(&pmem);
	uint64_t total = 0;
	for (int i = 0; i < boot->ram_count; i++) {
		uint64_t start = boot->ram[i].start, end = boot->ram[i].end;
		total += end - start;
		if (end > MEMORY_LIMIT)
			end = MEMORY_LIMIT;
		if (start < end)
			pmem_add(&pmem, start, end);
	}
	/* Below 1 MiB live the BIOS data, the AP trampoline and firmware leftovers. */
	pmem_reserve(&pmem, 0, 1ull << 20);
	pmem_reserve(&pmem, (uint64_t)_kernel_start, (uint64_t)_kernel_end);
	pmem_reserve(&pmem, mbi_start, mbi_end);
	for (int i = 0; i < boot->module_count; i++)
		pmem_reserve(&pmem, boot->modules[i].start, boot->modules[i].end);
	printk("kan: memory: %lu MiB RAM, %lu MiB free for VMs (kan itself %lu KiB at 0x%lx)\n",
	       total >> 20, pmem_free_bytes(&pmem) >> 20,
	       ((uint64_t)_kernel_end - (uint64_t)_kernel_start) >> 10, (uint64_t)_kernel_start);
}

uint64_t phys_alloc(uint64_t size, uint64_t align)
{
	spin_lock(&pmem_lock);
	uint64_t p = pmem_alloc(&pmem, size, align);
	spin_unlock(&pmem_lock);
	if (p)
		memset(phys_to_ptr(p), 0, size);
	return p;
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
