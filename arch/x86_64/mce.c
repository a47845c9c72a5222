#include "arch/x86_64/mce.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/stacks.h"
#include "kernel/console.h"
#include "kernel/limits.h"
#include "kernel/panic.h"

#define MSR_MCG_CAP	 0x179
#define MSR_MCG_STATUS	 0x17a
#define MSR_MCG_CTL	 0x17b
#define MSR_MC_CTL(i)	 (0x400u + 4 * (i))
#define MSR_MC_STATUS(i) (0x401u + 4 * (i))
#define MSR_MC_ADDR(i)	 (0x402u + 4 * (i))
#define MCG_CAP_COUNT	 0xffu
#define MCG_CAP_CTL_P	 (1ull << 8)
#define CPUID_1_EDX_MCE	 (1u << 7)
#define CPUID_1_EDX_MCA	 (1u << 14)
#define CR4_MCE		 (1ul << 6)
#define MAX_BANKS	 32

static unsigned banks; /* cpu 0's count: every CPU of one machine has the same */
static bool from_guest[KAN_MAX_CPUS];

static void say_bank(unsigned cpu, unsigned i, uint64_t status, const char *when)
{
	char what[160];
	mce_describe(status, what, sizeof(what));
	printk("kan: cpu %u: machine-check bank %u%s: %s", cpu, i, when, what);
	if (status & MCI_STATUS_ADDRV)
		printk(", address 0x%lx", rdmsr(MSR_MC_ADDR(i)));
	printk("\n");
}

void mce_cpu_init(unsigned cpu)
{
	struct cpuid_regs r = cpuid(1, 0);
	if (!(r.edx & CPUID_1_EDX_MCE)) {
		if (cpu == 0)
			printk("kan: machine checks: this CPU has none\n");
		return;
	}
	unsigned n = 0, leftovers = 0;
	if (r.edx & CPUID_1_EDX_MCA) {
		uint64_t cap = rdmsr(MSR_MCG_CAP);
		n = cap & MCG_CAP_COUNT;
		if (n > MAX_BANKS)
			n = MAX_BANKS;
		if (cap & MCG_CAP_CTL_P)
			wrmsr_safe(MSR_MCG_CTL, ~0ull);
		uint32_t family = (r.eax >> 8) & 0xf,
			 model = ((r.eax >> 4) & 0xf) | ((r.eax >> 12) & 0xf0);
		for (unsigned i = 0; i < n; i++) {
			/* Errors logged before kan (a warm reset keeps them) would be mistaken
			 * for new ones at the first #MC: say them, then clear. */
			uint64_t status = rdmsr(MSR_MC_STATUS(i));
			if (status & MCI_STATUS_VAL) {
				say_bank(cpu, i, status,
					 " held an error from before kan (cleared)");
				leftovers++;
			}
			/* Bank 0 of P6-era family 6 parts belongs to the firmware (SDM 16.3). */
			if (i || family != 6 || model >= 0x1a)
				wrmsr_safe(MSR_MC_CTL(i), ~0ull);
			wrmsr_safe(MSR_MC_STATUS(i), 0);
		}
	}
	write_cr4(read_cr4() | CR4_MCE);
	if (cpu == 0) {
		banks = n;
		printk("kan: machine checks: CR4.MCE on, %u banks, %u leftover error(s); #MC on "
		       "its "
		       "own IST stack\n",
		       n, leftovers);
	}
}

void mce_reraise_from_guest(void)
{
	struct stack_place here = stacks_find((uint64_t)__builtin_frame_address(0));
	from_guest[here.found ? here.cpu : 0] = true;
	__asm__ volatile("int $18" ::: "memory");
}

void machine_check_handle(unsigned cpu, uint64_t rip)
{
	bool guest = from_guest[cpu];
	from_guest[cpu] = false;
	console_force_unlock(); /* it may have interrupted printk */
	uint64_t mcg = banks ? rdmsr(MSR_MCG_STATUS) : 0;
	printk("kan: MACHINE CHECK on cpu %u %s (RIP 0x%lx): MCG_STATUS 0x%lx%s%s%s\n", cpu,
	       guest ? "while a guest ran: the host's machine check, not the guest's"
		     : "while kan ran",
	       rip, mcg, mcg & MCG_STATUS_RIPV ? ", may restart" : ", no restart point",
	       mcg & MCG_STATUS_EIPV ? ", RIP caused it" : "",
	       mcg & MCG_STATUS_MCIP ? ", in progress" : "");
	uint64_t status[MAX_BANKS];
	unsigned errors = 0;
	for (unsigned i = 0; i < banks; i++) {
		status[i] = rdmsr(MSR_MC_STATUS(i));
		if (status[i] & MCI_STATUS_VAL) {
			say_bank(cpu, i, status[i], "");
			errors++;
		}
	}
	if (!errors)
		printk("kan: no machine-check bank holds an error (%u banks)\n", banks);
	if (mce_fatal(mcg, status, banks))
		kan_shutdown(3, "machine check");
	for (unsigned i = 0; i < banks; i++)
		if (status[i] & MCI_STATUS_VAL)
			wrmsr_safe(MSR_MC_STATUS(i), 0);
	wrmsr_safe(MSR_MCG_STATUS, 0); /* MCIP clear: a second #MC would otherwise shut down */
	printk("kan: cpu %u: the machine check was corrected; kan goes on\n", cpu);
}
