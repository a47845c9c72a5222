/* Each CPU's GDT, TSS and the shared IDT: what the CPU needs before it can take an exception. */
#ifndef KAN_ARCH_DESCRIPTORS_H
#define KAN_ARCH_DESCRIPTORS_H

#include <stdint.h>

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS		0x18

#define IST_STACK_SIZE 8192

/* Room for one CPU's GDT and TSS, 16-byte aligned (the caller's: an AP's lives in its
 * struct cpu). */
#define CPU_TABLES_SIZE 160

/* Builds this CPU's GDT and TSS in `space` (NULL: the boot CPU's own, in kan's image) and
 * loads them and the IDT; double faults, NMIs and machine checks run on the stack ending at
 * `ist_stack_top` (IST_STACK_SIZE bytes, a guard page below). */
void cpu_tables_load(void *space, uint64_t ist_stack_top);
/* This CPU's GDT and TSS, as loaded (for the VMCS host state). */
uint64_t cpu_gdt_base(void);
uint64_t cpu_tss_base(void);
uint64_t idt_base(void);
void idt_init(void);

#endif
