#include "kernel/percpu.h"
#include "arch/x86_64/cpu.h"
#include "kernel/memory.h"

struct cpu *cpus;
static unsigned cpu_slots;
static struct cpuset present;

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

struct cpuset percpu_present(void)
{
	struct cpuset s;
	for (unsigned i = 0; i < CPUSET_WORDS; i++)
		s.word[i] = __atomic_load_n(&present.word[i], __ATOMIC_ACQUIRE);
	return s;
}

bool percpu_is_present(unsigned index)
{
	struct cpuset s = percpu_present();
	return cpuset_has(&s, index);
}

void percpu_init(unsigned index, uint32_t apic_id)
{
	cpus[index].index = index;
	cpus[index].apic_id = apic_id;
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)&cpus[index]);
}

void percpu_set_present(unsigned index)
{
	__atomic_or_fetch(&present.word[index / 64], 1ull << (index % 64), __ATOMIC_RELEASE);
}

struct cpu *this_cpu(void)
{
	return (struct cpu *)rdmsr(MSR_IA32_GS_BASE);
}
