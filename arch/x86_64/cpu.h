/* Thin wrappers around x86 instructions that C cannot express: CPUID, MSRs, control registers,
 * ports. */
#ifndef KAN_ARCH_CPU_H
#define KAN_ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_IA32_FEATURE_CONTROL 0x03a
#define MSR_IA32_SYSENTER_CS	 0x174
#define MSR_IA32_SYSENTER_ESP	 0x175
#define MSR_IA32_SYSENTER_EIP	 0x176
#define MSR_IA32_PAT		 0x277
#define MSR_IA32_EFER		 0xc0000080
#define MSR_IA32_FS_BASE	 0xc0000100
#define MSR_IA32_GS_BASE	 0xc0000101
/* Not switched by VT-x; kan uses none of them (no SYSCALL, no SWAPGS, no RDTSCP). */
#define MSR_IA32_STAR		0xc0000081
#define MSR_IA32_LSTAR		0xc0000082
#define MSR_IA32_CSTAR		0xc0000083
#define MSR_IA32_FMASK		0xc0000084
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC_AUX	0xc0000103

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define CR0_PE (1ul << 0)
#define CR0_ET (1ul << 4)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_NW (1ul << 29)
#define CR0_CD (1ul << 30)
#define CR0_PG (1ul << 31)

#define CR4_PAE	 (1ul << 5)
#define CR4_PGE	 (1ul << 7)
#define CR4_VMXE (1ul << 13)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

#define RFLAGS_CF (1ul << 0)
#define RFLAGS_ZF (1ul << 6)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_RF (1ul << 16)
#define RFLAGS_AC (1ul << 18)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline bool cpu_is_intel(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	return r.ebx == 0x756e6547 && r.edx == 0x49656e69 && r.ecx == 0x6c65746e; /* GenuineIntel */
}

/* AMD, or Hygon (whose CPUs are AMD's design): the vendors whose hardware is AMD-V's. */
static inline bool cpu_is_amd(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	return (r.ebx == 0x68747541 && r.edx == 0x69746e65 &&
		r.ecx == 0x444d4163) || /* AuthenticAMD */
	       (r.ebx == 0x6f677948 && r.edx == 0x6e65476e &&
		r.ecx == 0x656e6975); /* HygonGenuine */
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

#define DEFINE_CR_ACCESS(n)                                                                        \
	static inline uint64_t read_cr##n(void)                                                    \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(uint64_t v)                                                 \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                           \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

/* WRMSR that returns false instead of faulting when the CPU refuses the value (#GP). */
_Bool wrmsr_safe(uint32_t msr, uint64_t value);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void interrupts_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Stops this CPU for good: interrupts off, halt forever. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Resets the machine the last way there is: an exception with an empty IDT is a triple fault,
 * which real chipsets turn into a reset (SDM Vol. 3A, 6.15, interrupt 8). */
static inline __attribute__((noreturn)) void cpu_triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} empty = { 0, 0 };
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
	cpu_halt_forever();
}

#endif
