#include "kernel/percpu.h"
#include "arch/x86_64/cpu.h"

struct cpu cpus[KAN_MAX_CPUS];
static uint64_t present_mask;

uint64_t percpu_present_mask(void)
{
	return __atomic_load_n(&present_mask, __ATOMIC_ACQUIRE);
}

void percpu_init(unsigned index, uint32_t apic_id)
{
	cpus[index].index = index;
	cpus[index].apic_id = apic_id;
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)&cpus[index]);
}

void percpu_set_present(unsigned index)
{
	__atomic_or_fetch(&present_mask, 1ull << index, __ATOMIC_RELEASE);
}

struct cpu *this_cpu(void)
{
	return (struct cpu *)rdmsr(MSR_IA32_GS_BASE);
}
