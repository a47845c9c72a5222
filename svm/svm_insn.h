/* The AMD-V instructions kan uses outside the entry stub. */
#ifndef KAN_SVM_INSN_H
#define KAN_SVM_INSN_H

#include <stdint.h>

static inline void svm_vmsave(uint64_t vmcb_pa)
{
	__asm__ volatile("vmsave %%rax" ::"a"(vmcb_pa) : "memory");
}

static inline void svm_vmload(uint64_t vmcb_pa)
{
	__asm__ volatile("vmload %%rax" ::"a"(vmcb_pa) : "memory");
}

static inline void svm_stgi(void)
{
	__asm__ volatile("stgi" ::: "memory");
}

#endif
