/* Each CPU's own set-up, the APs' start (INIT-SIPI-SIPI, SDM Vol. 3A, 8.4.4) and the commands
 * an AP runs for the BSP. */
#include "smp.h"

#define SIPI_VECTOR	(SMP_TRAMPOLINE_ADDR >> 12)
#define INIT_WAIT_MS	10 /* INIT to the first SIPI: the MP spec's 10 ms */
#define SIPI_WAIT_US	200
#define AP_REPORT_MS	2000 /* from INIT until the AP says it is up */
#define COMMAND_WAIT_MS 20000
#define CR0_EM		(1u << 2)
#define CR0_MP		(1u << 1)
#define CR4_OSFXSR	(1u << 9)
#define CR4_OSXMMEXCPT	(1u << 10)
#define MSR_EFER	0xc0000080

extern const char smp_trampoline[], smp_trampoline_end[];

static uint8_t ap_stacks[SMP_MAX_CPUS][SMP_AP_STACK_SIZE] __attribute__((aligned(16)));

/* A pattern per CPU in XMM15, which nothing else uses: loaded at start-up, compared at the end,
 * so a vCPU that got another's SSE state (or lost its own) shows. */
void smp_sse_load(uint32_t index)
{
	uint64_t pattern[2] = { 0x5353450000000000ull | index, ~(0x5353450000000000ull | index) };
	__asm__ volatile("movdqu %0, %%xmm15" ::"m"(pattern));
}

int smp_sse_check(uint32_t index)
{
	uint64_t now[2];
	__asm__ volatile("movdqu %%xmm15, %0" : "=m"(now));
	return now[0] == (0x5353450000000000ull | index) &&
	       now[1] == ~(0x5353450000000000ull | index);
}

/* Some SSE arithmetic: 1 + 2 + ... + 16 in four 32-bit lanes. */
static uint32_t sse_sum(void)
{
	static const uint32_t values[16] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
	};
	uint32_t lanes[4];
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\t"
			 "paddd 0(%1), %%xmm0\n\t"
			 "paddd 16(%1), %%xmm0\n\t"
			 "paddd 32(%1), %%xmm0\n\t"
			 "paddd 48(%1), %%xmm0\n\t"
			 "movdqu %%xmm0, %0"
			 : "=m"(lanes)
			 : "r"(values), "m"(values));
	return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

void smp_cpu_setup(struct smp_cpu *c)
{
	c->self = c;
	c->step = "writing IA32_GS_BASE";
	smp_wrmsr(MSR_GS_BASE, (uint64_t)c);
	smp_idt_load();
	c->step = "turning SSE on";
	uint64_t cr0, cr4;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"((cr0 & ~(uint64_t)CR0_EM) | CR0_MP));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
	if (sse_sum() != 136)
		smp_fail("cpu %u: SSE adds 1..16 to %u", c->index, sse_sum());
	smp_sse_load(c->index);

	c->step = "reading IA32_APIC_BASE (MSR 0x1b)";
	uint64_t base = smp_rdmsr(MSR_APIC_BASE);
	uint64_t want = KAN_LAPIC_BASE | APIC_BASE_ENABLE | (c->index ? 0 : APIC_BASE_BSP);
	if (base != want)
		smp_fail("cpu %u: IA32_APIC_BASE is 0x%lx, not 0x%lx", c->index, base, want);
	c->step = "reading the APIC ID register";
	c->apic_id = apic_read_id();
	uint32_t by_cpuid = cpuid_apic_id();
	if (c->apic_id != c->index || by_cpuid != c->index)
		smp_fail("cpu %u: APIC ID register says %u, CPUID.1:EBX says %u", c->index,
			 c->apic_id, by_cpuid);
	c->step = "enabling the APIC (TPR, SVR)";
	apic_enable();
	c->step = "running";
}

static void ap_wait_for_commands(struct smp_cpu *c)
{
	for (;;) {
		smp_wait(c->done != c->requests, ~0ull >> 1); /* halts until woken */
		switch (c->command) {
		case CMD_X2APIC:
			c->step = "switching to x2APIC";
			apic_to_x2apic();
			if (apic_read_id() != c->index)
				smp_fail("cpu %u: x2APIC ID %u", c->index, apic_read_id());
			break;
		case CMD_TIMERS:
			c->step = "testing the timer";
			smp_timer_tests(c);
			break;
		case CMD_CHECK:
			if (!smp_sse_check(c->index))
				smp_fail("cpu %u: XMM15 lost the value it was given at start-up",
					 c->index);
			break;
		default:
			smp_fail("cpu %u: no command %u", c->index, c->command);
		}
		c->step = "waiting for commands";
		__atomic_store_n(&c->done, c->requests, __ATOMIC_RELEASE);
		/* Mixed modes are outside the SDM: after a switch the BSP finds out by polling. */
		if (c->command != CMD_X2APIC)
			apic_send(0, ICR_FIXED | VECTOR_WAKE);
	}
}

void smp_ap_main(struct smp_cpu *c)
{
	smp_cpu_setup(c);
	smp_say("smp: cpu %u up (apic id %u)\n", c->index, c->apic_id);
	__atomic_store_n(&c->up, 1, __ATOMIC_RELEASE);
	apic_send(0, ICR_FIXED | VECTOR_WAKE);
	ap_wait_for_commands(c);
}

/* Runs `command` on AP c and waits for it. */
void smp_command(struct smp_cpu *c, enum smp_command command)
{
	c->command = command;
	__atomic_store_n(&c->requests, c->requests + 1, __ATOMIC_RELEASE);
	apic_send(c->apic_id, ICR_FIXED | VECTOR_WAKE);
	if (!smp_wait(c->done == c->requests, smp_ms(COMMAND_WAIT_MS)))
		smp_fail("cpu %u did not finish command %u within %u ms", c->index, command,
			 COMMAND_WAIT_MS);
}

static void start_ap(struct smp_cpu *c)
{
	struct smp_ap_params *p = (struct smp_ap_params *)SMP_AP_PARAMS_ADDR;
	uint64_t cr3, cr4;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	*p = (struct smp_ap_params){
		.cr3 = cr3,
		.cr4 = cr4,
		.efer = smp_rdmsr(MSR_EFER) & ~(1ull << 10), /* LMA is the CPU's to set */
		.stack_top = (uint64_t)&ap_stacks[c->index][SMP_AP_STACK_SIZE],
		.cpu = c,
		.entry = smp_ap_main,
		.gdt_limit = gdtr.limit,
		.gdt_base = gdtr.base,
	};
	uint64_t started = guest_rdtsc();
	smp_self()->step = "sending INIT-SIPI-SIPI";
	apic_send(c->index, ICR_INIT);
	smp_spin_ticks(smp_ms(INIT_WAIT_MS));
	for (int sipi = 0; sipi < 2; sipi++) {
		if (smp_break == 2 && c->index == smp_ncpus - 1)
			break; /* the deliberate bug: the last AP gets no SIPI */
		apic_send(c->index, ICR_STARTUP | SIPI_VECTOR);
		smp_spin_ticks(SIPI_WAIT_US * smp_tsc_per_ms / 1000);
	}
	if (!smp_wait(c->up, smp_ms(AP_REPORT_MS)))
		smp_fail("cpu %u (apic id %u) did not report within %u ms of INIT-SIPI-SIPI",
			 c->index, c->index, AP_REPORT_MS);
	smp_say("smp: cpu %u started in %lu TSC ticks from INIT\n", c->index,
		guest_rdtsc() - started);
}

void smp_start_aps(void)
{
	if (smp_trampoline_end - smp_trampoline > SMP_AP_PARAMS_ADDR - SMP_TRAMPOLINE_ADDR)
		smp_fail("the AP trampoline (%lu bytes) overlaps its parameters at 0x%x",
			 (uint64_t)(smp_trampoline_end - smp_trampoline), SMP_AP_PARAMS_ADDR);
	uint8_t *dst = (uint8_t *)SMP_TRAMPOLINE_ADDR;
	for (const char *src = smp_trampoline; src < smp_trampoline_end; src++)
		*dst++ = (uint8_t)*src;
	for (unsigned i = 1; i < smp_ncpus; i++) {
		smp_cpus[i].index = i;
		start_ap(&smp_cpus[i]);
	}
}
