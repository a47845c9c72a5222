/* Turning AMD-V on and off on one CPU (APM Vol. 2, 15.4), and the maps every guest shares. */
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "svm/svm_cpu.h"
#include "svm/svm_defs.h"
#include "svm/svm_insn.h"

#define IOPM_BYTES  (3 * PAGE_SIZE) /* one bit per port, and a page for accesses past 0xffff */
#define MSRPM_BYTES (2 * PAGE_SIZE) /* two bits (read, write) per MSR in three ranges */

uint64_t svm_iopm_pa, svm_msrpm_pa;

/* Every bit set: every port access and every RDMSR/WRMSR exits, and kernel/ decides. */
static bool maps_init(void)
{
	if (svm_iopm_pa)
		return true;
	svm_iopm_pa = phys_alloc(IOPM_BYTES, PAGE_SIZE);
	svm_msrpm_pa = phys_alloc(MSRPM_BYTES, PAGE_SIZE);
	if (!svm_iopm_pa || !svm_msrpm_pa)
		return false;
	memset(phys_to_ptr(svm_iopm_pa), 0xff, IOPM_BYTES);
	memset(phys_to_ptr(svm_msrpm_pa), 0xff, MSRPM_BYTES);
	return true;
}

bool svm_cpu_enable(unsigned cpu)
{
	uint64_t state = phys_alloc(sizeof(struct svm_pcpu), 64);
	struct svm_pcpu *p = state ? phys_to_ptr(state) : NULL;
	if (p) {
		p->hsave_pa = phys_alloc(PAGE_SIZE, PAGE_SIZE);
		p->host_vmcb_pa = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	}
	if (!p || !p->hsave_pa || !p->host_vmcb_pa || (cpu == 0 && !maps_init())) {
		printk("kan: cpu %u: no memory for the host save area\n", cpu);
		return false;
	}
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, p->hsave_pa);
	/* kan's own TR, FS, GS (this CPU's struct cpu), LDTR and SYSCALL MSRs, which VMRUN
	 * does not switch: VMLOADed again after every exit. They never change. */
	svm_vmsave(p->host_vmcb_pa);
	cpus[cpu].backend = p;
	printk("kan: cpu %u: in SVM operation\n", cpu);
	return true;
}

bool svm_cpu_disable(unsigned cpu)
{
	if (!cpus[cpu].backend)
		return false;
	wrmsr(MSR_VM_HSAVE_PA, 0);
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_SVME);
	cpus[cpu].backend = NULL;
	return true;
}
