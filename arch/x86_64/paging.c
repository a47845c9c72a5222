#include "arch/x86_64/paging.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/mtrr.h"
#include "arch/x86_64/nx.h"
#include "arch/x86_64/page_map.h"

#define ADDRESS_MASK	     0x000ffffffffff000ull
#define PAGE_SIZE_BIT	     (1ull << 7)  /* a large page, not a table */
#define LOW_MAP		     (4ull << 30) /* MMIO lives there: all of it is mapped */
#define CPUID_7_EBX_SMEP     (1u << 7)
#define CPUID_7_EBX_SMAP     (1u << 20)
#define CPUID_1_EDX_APIC     (1u << 9)
#define CPUID_X1_EDX_PDPE1GB (1u << 26)
#define MSR_IA32_APIC_BASE   0x1b

extern char _kernel_start[], _text_end[], _rodata_end[];

static struct mtrr_state mtrrs;
static struct page_map map = { .largest_level = 2, .mtrrs = &mtrrs };
struct paging_info paging_info;
/* PAGE_NX, or 0 where NX is off: with EFER.NXE clear, bit 63 is reserved and faults. */
static uint64_t nx_bit;

static bool map_range(uint64_t start, uint64_t end, uint64_t flags, bool only_missing)
{
	flags &= ~PAGE_NX | nx_bit;
	bool ok = page_map_range(&map, start, end, flags, only_missing);
	paging_info.mtrr_splits = map.mtrr_splits;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
	return ok;
}

bool paging_set(uint64_t start, uint64_t end, uint64_t flags)
{
	return map_range(start, end, flags, false);
}

bool paging_map(uint64_t start, uint64_t end, uint64_t flags)
{
	start &= ~(PAGE_SIZE_4K - 1);
	end = (end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	if (end > PAGING_IDENTITY_LIMIT || start >= end)
		return false;
	return map_range(start, end, flags, true);
}

bool paging_uncache(uint64_t start, uint64_t end)
{
	return paging_set(start & ~(PAGE_SIZE_4K - 1),
			  (end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1),
			  PAGE_PRESENT | PAGE_WRITABLE | PAGE_NX | PAGE_PCD | PAGE_PWT);
}

uint64_t paging_lookup(uint64_t addr)
{
	uint64_t *table = (uint64_t *)(uintptr_t)(read_cr3() & ADDRESS_MASK),
		 allowed = PAGE_WRITABLE | PAGE_USER, nx = 0;
	for (unsigned shift = 39;; shift -= 9) {
		uint64_t entry = table[(addr >> shift) & 511];
		if (!(entry & PAGE_PRESENT))
			return 0;
		allowed &= entry;
		nx |= entry & PAGE_NX;
		if (shift == 12 || (shift < 39 && (entry & PAGE_SIZE_BIT)))
			return PAGE_PRESENT | allowed | nx | (entry & (PAGE_PCD | PAGE_PWT));
		table = (uint64_t *)(uintptr_t)(entry & ADDRESS_MASK);
	}
}

bool paging_init(paging_alloc_fn alloc, uint64_t exec_page)
{
	map.alloc_table = alloc;
	nx_enable(); /* sets EFER.NXE before any table with NX bits is loaded */
	nx_bit = nx_on() ? PAGE_NX : 0;
	mtrr_read(&mtrrs);
	paging_info.mtrrs_on = mtrrs.enabled;
	paging_info.mtrr_default_type = mtrrs.default_type;
	if (cpuid(0x80000000, 0).eax >= 0x80000001 &&
	    (cpuid(0x80000001, 0).edx & CPUID_X1_EDX_PDPE1GB))
		map.largest_level = 3;
	paging_info.gib_pages = map.largest_level == 3;
	uint64_t root = alloc();
	if (!root)
		return false;
	map.pml4 = (uint64_t *)(uintptr_t)root;
	uint64_t text = (uint64_t)_kernel_start, rodata = (uint64_t)_text_end,
		 data = (uint64_t)_rodata_end;
	bool ok = map_range(0, LOW_MAP, PAGE_PRESENT | PAGE_WRITABLE | PAGE_NX, false) &&
		  paging_set(text, rodata, PAGE_PRESENT) &&
		  paging_set(rodata, data, PAGE_PRESENT | PAGE_NX) &&
		  paging_set(exec_page, exec_page + 4096, PAGE_PRESENT | PAGE_WRITABLE);
	if (ok && (cpuid(1, 0).edx & CPUID_1_EDX_APIC)) {
		paging_info.lapic_page = rdmsr(MSR_IA32_APIC_BASE) & ADDRESS_MASK;
		ok = paging_uncache(paging_info.lapic_page, paging_info.lapic_page + PAGE_SIZE_4K);
	}
	if (!ok)
		return false;
	write_cr3(root);
	return true;
}

void paging_enable_protections(bool *smep, bool *smap)
{
	if (nx_bit) /* an AP's trampoline has set it already, after clearing XD Bit Disable */
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
	struct cpuid_regs r = cpuid(0, 0);
	uint32_t ebx7 = r.eax >= 7 ? cpuid(7, 0).ebx : 0;
	*smep = ebx7 & CPUID_7_EBX_SMEP;
	*smap = ebx7 & CPUID_7_EBX_SMAP;
	uint64_t cr4 = read_cr4();
	if (*smep)
		cr4 |= CR4_SMEP;
	if (*smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
	write_cr0(read_cr0() | CR0_WP);
}
