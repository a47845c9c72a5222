/* Each CPU's GDT, TSS and the shared IDT: what the CPU needs before it can take an exception. */
#ifndef KAN_ARCH_DESCRIPTORS_H
#define KAN_ARCH_DESCRIPTORS_H

#include <stdint.h>

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS		0x18

#define IST_STACK_SIZE 8192

/* Loads this CPU's GDT, TSS and the IDT; double faults, NMIs and machine checks run on the
 * stack ending at `ist_stack_top` (IST_STACK_SIZE bytes, a guard page below). */
void cpu_tables_load(unsigned cpu_index, uint64_t ist_stack_top);
uint64_t cpu_gdt_base(unsigned cpu_index);
uint64_t cpu_tss_base(unsigned cpu_index);
uint64_t idt_base(void);
void idt_init(void);

#endif
