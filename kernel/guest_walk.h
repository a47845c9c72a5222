/*
 * Guest-linear to guest-physical addresses, through the guest's own page tables, as its CPU
 * would translate them: so that kan can read the instruction a guest was executing. Pure:
 * guest memory is read through a callback, which kan points at the VM's RAM.
 */
#ifndef KAN_KERNEL_GUEST_WALK_H
#define KAN_KERNEL_GUEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* The registers that decide how the guest translates addresses, as its CPU uses them (for
 * VT-x: GUEST_CR0/CR3/CR4/IA32_EFER, not the read shadows). Only PG, PAE, PSE, LA57, LMA
 * and CR3 are looked at. */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
};

/* Reads `len` bytes of guest-physical memory at `gpa` into `buf`; false if any of them lies
 * outside the VM's RAM. */
struct guest_memory {
	bool (*read)(void *ctx, uint64_t gpa, void *buf, unsigned len);
	void *ctx;
};

/*
 * The guest-physical address of `linear`: no paging, 32-bit paging (4 MiB pages with
 * CR4.PSE), PAE paging (the four PDPTEs read from CR3) or 4-level paging (2 MiB and 1 GiB
 * pages). False if an entry on the way is not present or unreadable, if `linear` is not
 * canonical, or with 5-level paging (CR4.LA57), which kan does not walk. Only the present
 * bit is checked: no permissions, and no accessed or dirty bit is set.
 */
bool guest_linear_to_phys(const struct guest_paging *p, const struct guest_memory *mem,
			  uint64_t linear, uint64_t *gpa);

/* Reads up to `len` bytes at `linear`, page by page; returns how many it read before the
 * first page it could not translate or read (0 if the first). Outside long mode linear
 * addresses are 32 bits and wrap. */
unsigned guest_read_linear(const struct guest_paging *p, const struct guest_memory *mem,
			   uint64_t linear, void *buf, unsigned len);

/* The linear address of the code at `rip`: CS's base is ignored in 64-bit code (EFER.LMA
 * and CS.L), and outside long mode the sum is 32 bits. */
uint64_t guest_code_linear(const struct guest_paging *p, uint64_t cs_base, uint64_t rip,
			   bool cs_long);

#endif
