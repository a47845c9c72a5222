#include "kernel/percpu.h"
#include "arch/x86_64/cpu.h"
#include "kernel/memory.h"

struct cpu *cpus;
static unsigned cpu_slots;
static uint64_t present_mask;

_Static_assert(KAN_MAX_CPUS <= 64, "present_mask and the VMs' cpus= masks have 64 bits");

bool percpu_reserve(unsigned count)
{
	uint64_t phys = phys_alloc(count * sizeof(struct cpu), 64);
	if (!phys)
		return false;
	cpus = phys_to_ptr(phys);
	cpu_slots = count;
	return true;
}

unsigned percpu_count(void)
{
	return cpu_slots;
}

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
