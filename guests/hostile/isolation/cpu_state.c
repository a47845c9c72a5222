/* The pieces of a core's state a guest reaches with ordinary instructions: XCR0, CR8, the
 * debug registers, the MSRs a guest may write, RDTSCP, the descriptor-table registers and
 * the segment selectors. Most of these accesses exit to kan; none may fault once probed. */
#include "guest.h"
#include "isolation.h"

#define CR4_OSXSAVE (1ull << 18)

#define DESC_CODE64    0x00af9a000000ffffull
#define DESC_DATA      0x00cf92000000ffffull
#define DESC_DATA_DPL3 0x00cff2000000ffffull
#define DESC_TSS       0x89 /* present, 64-bit TSS, available */
#define DESC_LDT       0x82 /* present, LDT */
#define TSS_AREA       0x10000
#define LDT_AREA       0x11000
#define GDT_ENTRIES    32
#define IDT_BYTES      512

struct table_register {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static int xsetbv_safe(uint64_t value)
{
	return GUEST_TRY_ASM("xsetbv",
			     :
			     : "c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			     : "memory");
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* MOV to and from a debug register, by number: the instruction names the register. */
#define DR_CASE(n)                                                                                 \
	case n:                                                                                    \
		return write ? GUEST_TRY_ASM("mov %0, %%dr" #n,                                    \
					     :                                                     \
					     : "r"(*value)                                         \
					     : "memory")                                           \
			     : GUEST_TRY_ASM("mov %%dr" #n ", %0",                                 \
					     : "=r"(*value)                                        \
					     :                                                     \
					     : "memory");

static int dr_access(unsigned n, uint64_t *value, bool write)
{
	switch (n) {
		DR_CASE(0)
		DR_CASE(1)
		DR_CASE(2)
		DR_CASE(3)
		DR_CASE(6)
		DR_CASE(7)
	}
	return GUEST_VECTOR_UD;
}

static int cr8_read_safe(uint64_t *value)
{
	return GUEST_TRY_ASM("mov %%cr8, %0", : "=r"(*value) : : "memory");
}

static int rdtscp_safe(uint64_t *aux)
{
	uint32_t lo, hi, c = 0;
	int vector = GUEST_TRY_ASM("rdtscp", : "=a"(lo), "=d"(hi), "+c"(c) : : "memory");
	*aux = c;
	return vector;
}

void iso_probe(struct iso_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	bool avx = c & (1u << 28);
	if (guest_read_cr4() & CR4_OSXSAVE) { /* the SSE start-up turned it on */
		caps->features |= ISO_FEAT_OSXSAVE;
		caps->xcr0_full = xgetbv0();
		if (avx && (caps->xcr0_full & 0x6) == 0x6)
			caps->features |= ISO_FEAT_AVX;
	}
	guest_cpuid(7, &a, &b, &c, &d);
	if ((caps->features & ISO_FEAT_AVX) && (b & (1u << 16)) &&
	    (caps->xcr0_full & 0xe6) == 0xe6) {
		caps->features |= ISO_FEAT_AVX512;
		if (b & (1u << 30))
			caps->features |= ISO_FEAT_AVX512BW;
	}
	for (unsigned i = 0; i < ISO_MSRS; i++) {
		uint64_t v;
		caps->msr[i] = guest_rdmsr_safe(iso_msrs[i].number, &v) == GUEST_NO_TRAP &&
			       guest_wrmsr_safe(iso_msrs[i].number, v) == GUEST_NO_TRAP;
	}
	uint64_t v;
	caps->cr8 = cr8_read_safe(&v) == GUEST_NO_TRAP && guest_write_cr8_safe(v) == GUEST_NO_TRAP;
	caps->dr = true;
	for (unsigned n = 0; n < 8; n++)
		if (n < 4 || n >= 6)
			caps->dr = caps->dr && dr_access(n, &v, false) == GUEST_NO_TRAP &&
				   dr_access(n, &v, true) == GUEST_NO_TRAP;
	guest_cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		guest_cpuid(0x80000001, &a, &b, &c, &d);
		caps->rdtscp = (d & (1u << 27)) && rdtscp_safe(&v) == GUEST_NO_TRAP;
	}
	if (caps->rdtscp)
		caps->features |= ISO_FEAT_RDTSCP;
}

static uint64_t system_descriptor_low(uint64_t base, uint32_t limit, uint8_t type)
{
	return (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)type << 40 |
	       (uint64_t)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
}

/* The GDT of values.c's selectors: code 0x08 and data 0x10 as kan's, then four data
 * segments (DPL 3, so any RPL loads), four TSS and four LDT descriptors. */
static void build_gdt(uint64_t *gdt, uint64_t region)
{
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = 0;
	gdt[1] = DESC_CODE64;
	gdt[2] = DESC_DATA;
	for (unsigned i = 0; i < 4; i++) {
		unsigned role = i / 2, which = i % 2;
		gdt[iso_data_selectors[role][which] / 8] = DESC_DATA_DPL3;
		uint64_t tss = region + TSS_AREA + 0x80 * i, ldt = region + LDT_AREA + 0x100 * i;
		unsigned t = iso_tss_selectors[role][which] / 8,
			 l = iso_ldt_selectors[role][which] / 8;
		gdt[t] = system_descriptor_low(tss, 0x67, DESC_TSS);
		gdt[t + 1] = tss >> 32;
		gdt[l] = system_descriptor_low(ldt, 0xff, DESC_LDT);
		gdt[l + 1] = ldt >> 32;
	}
}

static void load_descriptor_tables(unsigned owner, const struct iso_snapshot *want)
{
	struct table_register gdtr = { (uint16_t)want->gdtr[1], want->gdtr[0] };
	build_gdt((uint64_t *)want->gdtr[0], iso_region(owner));
	__asm__ volatile("lgdt %0" ::"m"(gdtr) : "memory");
	__asm__ volatile("ltr %w0" ::"r"((uint16_t)want->tr) : "memory");
	__asm__ volatile("lldt %w0" ::"r"((uint16_t)want->ldtr) : "memory");
	/* The same gates as the trap library's IDT, copied to this round's place. */
	struct table_register idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	memcpy((void *)want->idtr[0], (const void *)idtr.base, IDT_BYTES);
	idtr = (struct table_register){ (uint16_t)want->idtr[1], want->idtr[0] };
	__asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
	__asm__ volatile("mov %w0, %%ds" ::"r"((uint16_t)want->selectors[0]) : "memory");
	__asm__ volatile("mov %w0, %%es" ::"r"((uint16_t)want->selectors[1]) : "memory");
	__asm__ volatile("mov %w0, %%fs" ::"r"((uint16_t)want->selectors[2]) : "memory");
	__asm__ volatile("mov %w0, %%gs" ::"r"((uint16_t)want->selectors[3]) : "memory");
}

unsigned iso_write_cpu_state(const struct iso_caps *caps, unsigned owner,
			     const struct iso_snapshot *want)
{
	unsigned refused = 0;
	if (caps->features & ISO_FEAT_OSXSAVE)
		refused += xsetbv_safe(want->xcr0) != GUEST_NO_TRAP;
	if (caps->cr8)
		refused += guest_write_cr8_safe(want->cr8) != GUEST_NO_TRAP;
	if (caps->dr) {
		uint64_t v[8] = { want->dr[0], want->dr[1], want->dr[2], want->dr[3],
				  0,	       0,	    want->dr6,	 want->dr7 };
		for (unsigned n = 0; n < 8; n++)
			if (n < 4 || n >= 6)
				refused += dr_access(n, &v[n], true) != GUEST_NO_TRAP;
	}
	for (unsigned i = 0; i < ISO_MSRS; i++)
		if (caps->msr[i] && i != ISO_MSR_FS_BASE && i != ISO_MSR_GS_BASE)
			refused +=
				guest_wrmsr_safe(iso_msrs[i].number, want->msr[i]) != GUEST_NO_TRAP;
	load_descriptor_tables(owner, want);
	/* Loading FS and GS set their bases from the descriptors; now the real ones. */
	for (unsigned i = ISO_MSR_FS_BASE; i <= ISO_MSR_GS_BASE; i++)
		if (caps->msr[i])
			refused +=
				guest_wrmsr_safe(iso_msrs[i].number, want->msr[i]) != GUEST_NO_TRAP;
	return refused;
}

void iso_read_cpu_state(const struct iso_caps *caps, struct iso_snapshot *s)
{
	if (caps->cr8)
		cr8_read_safe(&s->cr8);
	if (caps->dr) {
		for (unsigned n = 0; n < 4; n++)
			dr_access(n, &s->dr[n], false);
		dr_access(6, &s->dr6, false);
		dr_access(7, &s->dr7, false);
	}
	for (unsigned i = 0; i < ISO_MSRS; i++)
		if (caps->msr[i])
			guest_rdmsr_safe(iso_msrs[i].number, &s->msr[i]);
	if (caps->rdtscp)
		rdtscp_safe(&s->tsc_aux_rdtscp);
	struct table_register t;
	__asm__ volatile("sgdt %0" : "=m"(t));
	s->gdtr[0] = t.base;
	s->gdtr[1] = t.limit;
	__asm__ volatile("sidt %0" : "=m"(t));
	s->idtr[0] = t.base;
	s->idtr[1] = t.limit;
	uint16_t sel;
	__asm__ volatile("sldt %0" : "=r"(sel));
	s->ldtr = sel;
	__asm__ volatile("str %0" : "=r"(sel));
	s->tr = sel;
	__asm__ volatile("mov %%ds, %0" : "=r"(sel));
	s->selectors[0] = sel;
	__asm__ volatile("mov %%es, %0" : "=r"(sel));
	s->selectors[1] = sel;
	__asm__ volatile("mov %%fs, %0" : "=r"(sel));
	s->selectors[2] = sel;
	__asm__ volatile("mov %%gs, %0" : "=r"(sel));
	s->selectors[3] = sel;
}
