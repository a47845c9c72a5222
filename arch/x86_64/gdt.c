#include "arch/x86_64/descriptors.h"
#include "kernel/limits.h"
#include "kernel/string.h"

#include <stddef.h>

/* The 64-bit TSS (SDM Vol. 3A, 8.7). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[5]; /* null, code, data, TSS (two slots) */
	struct tss64 tss;
};

_Static_assert(sizeof(struct cpu_tables) <= CPU_TABLES_SIZE, "CPU_TABLES_SIZE is too small");

static struct cpu_tables boot_tables __attribute__((aligned(64)));

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void cpu_tables_load(void *space, uint64_t ist_stack_top)
{
	struct cpu_tables *t = space ? space : &boot_tables;
	memset(&t->tss, 0, sizeof(t->tss));
	t->tss.ist[0] = ist_stack_top;
	/* #MC's own, the lower half: an #MC during an NMI (on IST1) must not overwrite it. */
	t->tss.ist[1] = ist_stack_top - IST_STACK_SIZE / 2;
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */

	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
	t->gdt[0] = 0;
	t->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
	t->gdt[2] = 0x00cf92000000ffffull; /* data, DPL 0 */
	t->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		    ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56); /* available TSS */
	t->gdt[4] = base >> 32;

	struct descriptor_pointer gdtr = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(SEL_KERNEL_CODE), "r"(SEL_KERNEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");

	struct descriptor_pointer idtr = { 256 * 16 - 1, idt_base() };
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

uint64_t cpu_gdt_base(void)
{
	struct descriptor_pointer gdtr;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	return gdtr.base;
}

uint64_t cpu_tss_base(void)
{
	return cpu_gdt_base() + offsetof(struct cpu_tables, tss);
}
