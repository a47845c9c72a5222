/* AMD-V state shared inside svm/: what the CPU offers, per-CPU and per-vCPU state. */
#ifndef KAN_SVM_CPU_H
#define KAN_SVM_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vcpu_backend.h"

struct svm_caps {
	unsigned revision;
	uint32_t asids;	   /* CPUID 0x8000000A:EBX, ASID 0 (the host's) included */
	uint32_t features; /* CPUID 0x8000000A:EDX */
	bool one_gib_pages;
};
extern struct svm_caps svm_caps;
/* TSC_AUX exists (RDTSCP or RDPID): the lazy switch includes it. */
extern bool svm_lazy_tsc_aux;

/* The backend's functions (kernel/vcpu_backend.h), gathered in svm_backend (svm_backend.c). */
bool svm_present(void);
bool svm_probe(void);
const char *svm_why_not(void);
bool svm_cpu_enable(unsigned cpu);
bool svm_cpu_disable(unsigned cpu);
bool svm_vm_create(struct vm *vm);
bool svm_vcpu_create(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
bool svm_vcpu_reset(struct vcpu *vcpu, const struct vcpu_boot_state *boot);
void svm_vm_destroy(struct vm *vm);
enum vcpu_event svm_vcpu_run(struct vcpu *vcpu, uint64_t slice_tsc);
const char *svm_exit_name(unsigned i);

#endif
