/* Each CPU's GDT, TSS and the shared IDT: what the CPU needs before it can take an exception. */
#ifndef KAN_ARCH_DESCRIPTORS_H
#define KAN_ARCH_DESCRIPTORS_H

#include <stdint.h>

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS         0x18

/* Loads this CPU's GDT, TSS (with an IST stack for double faults and NMIs) and the IDT. */
void cpu_tables_load(unsigned cpu_index);
uint64_t cpu_gdt_base(unsigned cpu_index);
uint64_t cpu_tss_base(unsigned cpu_index);
uint64_t idt_base(void);
void idt_init(void);

#endif
