#include "arch/x86_64/paging.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/mtrr.h"

#define PAGE_LARGE	     (1ull << 7)
#define ADDRESS_MASK	     0x000ffffffffff000ull
#define LOW_MAP		     (4ull << 30) /* MMIO lives there: all of it is mapped */
#define CPUID_7_EBX_SMEP     (1u << 7)
#define CPUID_7_EBX_SMAP     (1u << 20)
#define CPUID_1_EDX_APIC     (1u << 9)
#define CPUID_X1_EDX_PDPE1GB (1u << 26)
#define MSR_IA32_APIC_BASE   0x1b

extern char _kernel_start[], _text_end[], _rodata_end[];

static uint64_t *pml4;
static paging_alloc_fn alloc_table;
static struct mtrr_state mtrrs;
static unsigned largest_level = 2; /* 3 where the CPU has 1 GiB pages */
struct paging_info paging_info;

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & ADDRESS_MASK);
}

static uint64_t level_size(unsigned level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static bool is_leaf(uint64_t entry, unsigned level)
{
	return (entry & PAGE_PRESENT) && (level == 1 || (level < 4 && (entry & PAGE_LARGE)));
}

static uint64_t leaf(uint64_t addr, uint64_t flags, unsigned level)
{
	return flags ? addr | flags | (level > 1 ? PAGE_LARGE : 0) : 0;
}

/* Replaces the large page in `*entry` by a table of 512 pages one level down, same flags. */
static bool split(uint64_t *entry, unsigned level)
{
	uint64_t pt = alloc_table();
	if (!pt)
		return false;
	uint64_t base = *entry & ADDRESS_MASK & ~(level_size(level) - 1),
		 flags = *entry & ~ADDRESS_MASK & ~PAGE_LARGE;
	uint64_t *small = (uint64_t *)(uintptr_t)pt;
	for (unsigned i = 0; i < 512; i++)
		small[i] = leaf(base + i * level_size(level - 1), flags, level - 1);
	/* The directory entry itself stays writable and executable: leaves decide. */
	*entry = pt | PAGE_PRESENT | PAGE_WRITABLE | (*entry & PAGE_USER);
	return true;
}

/* Whether [addr, addr + size) (aligned) has one memory type. The largest aligned block up to
 * 1 GiB around it that has one type is remembered: the pages that follow need no lookup. */
static bool one_type(uint64_t addr, uint64_t size)
{
	static uint64_t known_start, known_end;
	if (addr >= known_start && addr + size <= known_end)
		return true;
	if (mtrr_type(&mtrrs, addr, size) == MTRR_TYPE_MIXED)
		return false;
	for (; size < level_size(3); size *= 2) {
		uint64_t wider = addr & ~(2 * size - 1);
		if (mtrr_type(&mtrrs, wider, 2 * size) == MTRR_TYPE_MIXED)
			break;
		addr = wider;
	}
	known_start = addr;
	known_end = addr + size;
	return true;
}

/* Whether a new page of this level may map `addr`: the CPU has such pages, and the MTRRs give
 * all of it one memory type (else the CPU's behaviour is undefined, SDM Vol. 3A 12.11.9). */
static bool large_page_fits(uint64_t addr, unsigned level)
{
	if (level == 1)
		return true;
	if (level > largest_level)
		return false;
	if (one_type(addr, level_size(level)))
		return true;
	paging_info.mtrr_splits++;
	return false;
}

/*
 * Gives [start, end) `flags` (0 unmaps) in `table`, a table of this level, and below it.
 * `only_missing` leaves mapped pages alone and maps only the rest; otherwise a large page that
 * the range covers in part is split first. New pages are as large as alignment, the CPU and
 * the MTRRs allow.
 */
static bool map_level(uint64_t *table, unsigned level, uint64_t start, uint64_t end, uint64_t flags,
		      bool only_missing)
{
	uint64_t size = level_size(level);
	for (uint64_t addr = start, next; addr < end; addr = next) {
		next = (addr & ~(size - 1)) + size;
		uint64_t stop = next < end ? next : end,
			 *e = &table[(addr >> (3 + 9 * level)) & 511];
		bool whole = !(addr & (size - 1)) && stop == next;
		if (is_leaf(*e, level)) {
			if (only_missing)
				continue;
			if (whole) {
				*e = leaf(addr, flags, level);
				continue;
			}
			if (!split(e, level))
				return false;
		} else if (!(*e & PAGE_PRESENT)) {
			if (!flags)
				continue;
			if (whole && large_page_fits(addr, level)) {
				*e = leaf(addr, flags, level);
				continue;
			}
			uint64_t below = alloc_table();
			if (!below)
				return false;
			*e = below | PAGE_PRESENT | PAGE_WRITABLE;
		}
		/* A user page needs the user bit at every level; kan's own leaves never have
		 * it, so the upper levels may keep it. */
		*e |= flags & PAGE_USER;
		if (!map_level(table_at(*e), level - 1, addr, stop, flags, only_missing))
			return false;
	}
	return true;
}

static bool map_range(uint64_t start, uint64_t end, uint64_t flags, bool only_missing)
{
	bool ok = map_level(pml4, 4, start, end, flags, only_missing);
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
	uint64_t *table = table_at(read_cr3()), allowed = PAGE_WRITABLE | PAGE_USER, nx = 0;
	for (unsigned shift = 39;; shift -= 9) {
		uint64_t entry = table[(addr >> shift) & 511];
		if (!(entry & PAGE_PRESENT))
			return 0;
		allowed &= entry;
		nx |= entry & PAGE_NX;
		if (shift == 12 || (shift < 39 && (entry & PAGE_LARGE)))
			return PAGE_PRESENT | allowed | nx | (entry & (PAGE_PCD | PAGE_PWT));
		table = table_at(entry);
	}
}

bool paging_init(paging_alloc_fn alloc, uint64_t exec_page)
{
	alloc_table = alloc;
	mtrr_read(&mtrrs);
	paging_info.mtrrs_on = mtrrs.enabled;
	paging_info.mtrr_default_type = mtrrs.default_type;
	if (cpuid(0x80000000, 0).eax >= 0x80000001 &&
	    (cpuid(0x80000001, 0).edx & CPUID_X1_EDX_PDPE1GB))
		largest_level = 3;
	paging_info.gib_pages = largest_level == 3;
	uint64_t root = alloc();
	if (!root)
		return false;
	pml4 = (uint64_t *)(uintptr_t)root;
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
	uint64_t efer = rdmsr(MSR_IA32_EFER);
	wrmsr(MSR_IA32_EFER, efer | EFER_NXE);
	write_cr3(root);
	return true;
}

void paging_enable_protections(bool *smep, bool *smap)
{
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
