/* A read-only walk of the guest's page tables (SDM Vol. 3A, 4.3 to 4.5). */
#include "kernel/guest_walk.h"

#define CR0_PG	 (1ull << 31)
#define CR4_PSE	 (1ull << 4)
#define CR4_PAE	 (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)

#define PTE_PRESENT   1ull
#define PTE_PAGE_SIZE (1ull << 7)	    /* in a PDE or PDPTE: it maps a large page */
#define PTE_FRAME     0x000ffffffffff000ull /* bits 51:12 (63 is NX, 62:52 ignored) */
#define PAGE_MASK     0xfffull
#define LOW_32	      0xffffffffull

/* One paging-structure entry of `size` bytes (4 or 8); false if it cannot be read. */
static bool read_entry(const struct guest_memory *mem, uint64_t gpa, unsigned size, uint64_t *entry)
{
	*entry = 0; /* a 4-byte read fills the low half (x86 is little-endian) */
	return mem->read(mem->ctx, gpa, entry, size) && (*entry & PTE_PRESENT);
}

/* A large page of 2^bits bytes: the frame from bits 51:bits of the entry (bit 12 is PAT). */
static uint64_t large_page(uint64_t entry, unsigned bits, uint64_t linear)
{
	uint64_t offset = (1ull << bits) - 1;
	return (entry & PTE_FRAME & ~offset) | (linear & offset);
}

/* 32-bit paging (SDM 4.3): two levels of 4-byte entries, 4 MiB pages with CR4.PSE. */
static bool walk_32bit(const struct guest_paging *p, const struct guest_memory *mem,
		       uint64_t linear, uint64_t *gpa)
{
	uint64_t pde, pte;
	if (!read_entry(mem, (p->cr3 & 0xfffff000) + ((linear >> 22) & 0x3ff) * 4, 4, &pde))
		return false;
	if ((pde & PTE_PAGE_SIZE) && (p->cr4 & CR4_PSE)) {
		/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
		*gpa = (pde & 0xffc00000) | ((pde >> 13) & 0xff) << 32 | (linear & 0x3fffff);
		return true;
	}
	if (!read_entry(mem, (pde & 0xfffff000) + ((linear >> 12) & 0x3ff) * 4, 4, &pte))
		return false;
	*gpa = (pte & 0xfffff000) | (linear & PAGE_MASK);
	return true;
}

/* The levels below a PDPTE, shared by PAE and 4-level paging: 8-byte entries, 512 each. */
static bool walk_from_pdpte(const struct guest_memory *mem, uint64_t pdpte, uint64_t linear,
			    uint64_t *gpa)
{
	uint64_t pde, pte;
	if (!read_entry(mem, (pdpte & PTE_FRAME) + ((linear >> 21) & 0x1ff) * 8, 8, &pde))
		return false;
	if (pde & PTE_PAGE_SIZE) {
		*gpa = large_page(pde, 21, linear);
		return true;
	}
	if (!read_entry(mem, (pde & PTE_FRAME) + ((linear >> 12) & 0x1ff) * 8, 8, &pte))
		return false;
	*gpa = (pte & PTE_FRAME) | (linear & PAGE_MASK);
	return true;
}

/* PAE paging (SDM 4.4): four PDPTEs in a 32-byte table at CR3; a PDPTE has no PS bit. */
static bool walk_pae(const struct guest_paging *p, const struct guest_memory *mem, uint64_t linear,
		     uint64_t *gpa)
{
	uint64_t pdpte;
	if (!read_entry(mem, (p->cr3 & 0xffffffe0) + ((linear >> 30) & 3) * 8, 8, &pdpte))
		return false;
	return walk_from_pdpte(mem, pdpte, linear, gpa);
}

/* 4-level paging (SDM 4.5): PML4, then PDPTEs that may map 1 GiB pages. */
static bool walk_4level(const struct guest_paging *p, const struct guest_memory *mem,
			uint64_t linear, uint64_t *gpa)
{
	if ((uint64_t)((int64_t)(linear << 16) >> 16) != linear)
		return false; /* not canonical: the CPU would have raised #GP, not translated */
	uint64_t pml4e, pdpte;
	if (!read_entry(mem, (p->cr3 & PTE_FRAME) + ((linear >> 39) & 0x1ff) * 8, 8, &pml4e) ||
	    !read_entry(mem, (pml4e & PTE_FRAME) + ((linear >> 30) & 0x1ff) * 8, 8, &pdpte))
		return false;
	if (pdpte & PTE_PAGE_SIZE) {
		*gpa = large_page(pdpte, 30, linear);
		return true;
	}
	return walk_from_pdpte(mem, pdpte, linear, gpa);
}

bool guest_linear_to_phys(const struct guest_paging *p, const struct guest_memory *mem,
			  uint64_t linear, uint64_t *gpa)
{
	if (!(p->cr0 & CR0_PG)) {
		*gpa = linear & LOW_32;
		return true;
	}
	if (p->efer & EFER_LMA) {
		if (p->cr4 & CR4_LA57)
			return false;
		return walk_4level(p, mem, linear, gpa);
	}
	if (p->cr4 & CR4_PAE)
		return walk_pae(p, mem, linear & LOW_32, gpa);
	return walk_32bit(p, mem, linear & LOW_32, gpa);
}

unsigned guest_read_linear(const struct guest_paging *p, const struct guest_memory *mem,
			   uint64_t linear, void *buf, unsigned len)
{
	unsigned done = 0;
	while (done < len) {
		uint64_t gpa;
		unsigned chunk = 0x1000 - (unsigned)(linear & PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (!guest_linear_to_phys(p, mem, linear, &gpa) ||
		    !mem->read(mem->ctx, gpa, (uint8_t *)buf + done, chunk))
			break;
		done += chunk;
		linear += chunk;
		if (!(p->efer & EFER_LMA))
			linear &= LOW_32;
	}
	return done;
}

uint64_t guest_code_linear(const struct guest_paging *p, uint64_t cs_base, uint64_t rip,
			   bool cs_long)
{
	if ((p->efer & EFER_LMA) && cs_long)
		return rip;
	return (cs_base + rip) & LOW_32;
}
