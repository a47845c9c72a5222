#include "arch/x86_64/paging.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/nx.h"

#define PAGE_LARGE	 (1ull << 7)
#define ADDRESS_MASK	 0x000ffffffffff000ull
#define MAP_LIMIT	 (4ull << 30)
#define LARGE_PAGE	 (2ull << 20)
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_SMAP (1u << 20)

extern char _kernel_start[], _text_end[], _rodata_end[];

static uint64_t *pml4;
/* PAGE_NX, or 0 where NX is off: with EFER.NXE clear, bit 63 is reserved and faults. */
static uint64_t nx_bit;
static paging_alloc_fn alloc_table;

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & ADDRESS_MASK);
}

/* The page-directory entry for `addr`, with all four page directories built up front. */
static uint64_t *pd_entry(uint64_t addr)
{
	uint64_t *pdpt = table_at(pml4[0]);
	return &table_at(pdpt[addr >> 30])[(addr >> 21) & 511];
}

/* Splits the 2 MiB page holding `addr` into 512 small ones with the same flags. */
static bool split(uint64_t *pde)
{
	if (!(*pde & PAGE_LARGE))
		return true;
	uint64_t pt = alloc_table();
	if (!pt)
		return false;
	uint64_t base = *pde & ADDRESS_MASK & ~(LARGE_PAGE - 1),
		 flags = *pde & ~ADDRESS_MASK & ~PAGE_LARGE;
	uint64_t *small = (uint64_t *)(uintptr_t)pt;
	for (unsigned i = 0; i < 512; i++)
		small[i] = (base + i * 4096) | flags;
	/* The directory entry itself stays writable and executable: leaves decide. */
	*pde = pt | PAGE_PRESENT | PAGE_WRITABLE;
	return true;
}

bool paging_set(uint64_t start, uint64_t end, uint64_t flags)
{
	flags &= ~PAGE_NX | nx_bit;
	for (uint64_t addr = start; addr < end;) {
		uint64_t *pde = pd_entry(addr);
		if (flags & PAGE_USER) {
			/* A user page needs the user bit at every level; kan's own leaves never
			 * have it, so the upper levels may keep it. */
			pml4[0] |= PAGE_USER;
			table_at(pml4[0])[addr >> 30] |= PAGE_USER;
		}
		bool whole = !(addr & (LARGE_PAGE - 1)) && end - addr >= LARGE_PAGE;
		if (whole && (*pde & PAGE_LARGE)) {
			*pde = addr | PAGE_LARGE | flags;
			addr += LARGE_PAGE;
			continue;
		}
		if (!split(pde))
			return false;
		*pde |= flags & PAGE_USER;
		table_at(*pde)[(addr >> 12) & 511] = flags ? addr | flags : 0;
		addr += 4096;
	}
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
	return true;
}

uint64_t paging_lookup(uint64_t addr)
{
	uint64_t *table = table_at(read_cr3()), allowed = PAGE_WRITABLE | PAGE_USER, nx = 0;
	for (unsigned shift = 39;; shift -= 9) {
		uint64_t entry = table[(addr >> shift) & 511];
		if (!(entry & PAGE_PRESENT))
			return 0;
		allowed &= entry;
		nx |= entry & PAGE_NX;
		if (shift == 12 || (shift < 39 && (entry & PAGE_LARGE)))
			return PAGE_PRESENT | allowed | nx;
		table = table_at(entry);
	}
}

bool paging_init(paging_alloc_fn alloc, uint64_t exec_page)
{
	alloc_table = alloc;
	nx_enable(); /* sets EFER.NXE before any table with NX bits is loaded */
	nx_bit = nx_on() ? PAGE_NX : 0;
	uint64_t root = alloc(), pdpt = alloc();
	if (!root || !pdpt)
		return false;
	pml4 = (uint64_t *)(uintptr_t)root;
	pml4[0] = pdpt | PAGE_PRESENT | PAGE_WRITABLE;
	for (uint64_t i = 0; i < MAP_LIMIT >> 30; i++) {
		uint64_t pd = alloc();
		if (!pd)
			return false;
		((uint64_t *)(uintptr_t)pdpt)[i] = pd | PAGE_PRESENT | PAGE_WRITABLE;
		for (uint64_t j = 0; j < 512; j++)
			((uint64_t *)(uintptr_t)pd)[j] = ((i << 30) + (j << 21)) | PAGE_LARGE |
							 PAGE_PRESENT | PAGE_WRITABLE | nx_bit;
	}
	uint64_t text = (uint64_t)_kernel_start, rodata = (uint64_t)_text_end,
		 data = (uint64_t)_rodata_end;
	bool ok = paging_set(text, rodata, PAGE_PRESENT) &&
		  paging_set(rodata, data, PAGE_PRESENT | PAGE_NX) &&
		  paging_set(exec_page, exec_page + 4096, PAGE_PRESENT | PAGE_WRITABLE);
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
