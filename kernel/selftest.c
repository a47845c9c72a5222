#include "kernel/selftest.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/nx.h"
#include "arch/x86_64/paging.h"
#include "drivers/pic8259.h"
#include "kernel/console.h"
#include "kernel/cpus.h"
#include "kernel/memory.h"
#include "kernel/percpu.h"
#include "kernel/time.h"

#define NMI_COUNT      500
#define STRAY_VECTOR   0x77
#define NMI_GAP_US     1000
#define NMI_COUNT      500
#define NMI_GAP_US     1000
#define HOST_NMI_COUNT 200

void kernel_main(uint32_t magic, uint64_t mbi_addr);

enum kan_selftest selftest_chosen;

/* Recursion that the compiler cannot flatten: each frame keeps a live buffer. It stops
 * only at an absurd depth, long after the 16 KiB stack ran into its guard page. */
static __attribute__((noinline)) uint64_t recurse(volatile uint64_t depth)
{
	volatile uint8_t frame[256];
	frame[depth & 255] = (uint8_t)depth;
	if (depth > (1ull << 40))
		return 0;
	return recurse(depth + 1) + frame[depth & 255];
}

/* A fresh page holding a RET, mapped user-accessible: SMEP must stop kan running it, SMAP
 * must stop kan reading it. kan maps no user page otherwise. */
static void touch_user_page(bool execute)
{
	uint64_t page = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (page)
		*(volatile uint8_t *)phys_to_ptr(page) = 0xc3;
	if (!page ||
	    !paging_set(page, page + PAGE_SIZE,
			PAGE_PRESENT | PAGE_WRITABLE | PAGE_USER | (execute ? 0 : PAGE_NX))) {
		printk("kan: selftest: no memory to map a user page\n");
		return;
	}
	if (execute) {
		printk("kan: selftest: calling code on a user-accessible page at 0x%lx\n", page);
		((void (*)(void))(uintptr_t)page)();
	} else {
		printk("kan: selftest: reading a user-accessible page at 0x%lx with RFLAGS.AC "
		       "clear\n",
		       page);
		__asm__ volatile("pushfq; andq %0, (%%rsp); popfq" ::"i"(~RFLAGS_AC) : "cc");
		(void)*(volatile uint8_t *)phys_to_ptr(page);
	}
}

/* Cpu 1's errand for selftest=ap-stack-overflow; the other APs have none. */
static void overflow_this_stack(unsigned cpu)
{
	if (cpu != 1)
		return;
	printk("kan: selftest: cpu 1 overflows its stack\n");
	recurse(0);
}

/* Cpu 1's NMI handler's errand for selftest=ist-stack-overflow: the NMI runs on the IST
 * stack, and so does the recursion. The boot CPU spins meanwhile, holding no lock. */
static void overflow_nmi_stack(unsigned cpu)
{
	if (cpu != 1)
		return;
	printk("kan: selftest: cpu 1's NMI handler overflows its IST stack\n");
	recurse(0);
}

static bool have_cpu_1(void)
{
	if (cpus_running() < 2)
		printk("kan: selftest: needs a second CPU, and kan runs on one; skipped\n");
	return cpus_running() >= 2;
}

/* Waits a second for cpu 1 to end the run. */
static void wait_for_cpu_1(void)
{
	for (uint64_t end = rdtsc() + time_us_to_tsc(1000000); rdtsc() < end;)
		cpu_relax();
}

/* selftest=nmi: cpu 0, idle between its turns, sends an NMI to every other CPU that runs VMs
 * about once a millisecond, NMI_COUNT of them; they land in guests, in exits and in idle. */
void selftest_nmi_tick(unsigned cpu)
{
	static unsigned sent;
	static uint64_t next;
	if (cpu != 0 || sent == NMI_COUNT || rdtsc() < next)
		return;
	if (sent == 0)
		printk("kan: selftest: cpu 0 sends %d NMIs to the other CPUs, one every %d us\n",
		       NMI_COUNT, NMI_GAP_US);
	for (unsigned i = 1; i < percpu_count(); i++)
		if (percpu_is_present(i))
			lapic_send_nmi(cpus[i].apic_id);
	next = rdtsc() + time_us_to_tsc(NMI_GAP_US);
	if (++sent == NMI_COUNT)
		printk("kan: selftest: %d NMIs sent\n", NMI_COUNT);
}

/* Lets the interrupts pending at this CPU in for `us` microseconds. */
static void take_interrupts(uint64_t us)
{
	__asm__ volatile("sti" ::: "memory");
	for (uint64_t end = rdtsc() + time_us_to_tsc(us); rdtsc() < end;)
		cpu_relax();
	__asm__ volatile("cli" ::: "memory");
}

/* selftest=stray-irq: interrupts that no handler of kan's expects, as firmware leftovers and
 * the 8259 produce them. kan must count them, say so once each, and go on. */
static void send_stray_interrupts(void)
{
	printk("kan: selftest: cpu 0 sends itself vector 0x%x, which has no handler\n",
	       STRAY_VECTOR);
	lapic_send_self_ipi(STRAY_VECTOR);
	take_interrupts(1000);
	/* What a spurious IRQ 7 looks like to kan: its vector, the 8259's in-service bit clear. */
	printk("kan: selftest: cpu 0 sends itself vector 0x%x, the 8259's IRQ 7\n",
	       PIC_VECTOR_BASE + 7);
	lapic_send_self_ipi(PIC_VECTOR_BASE + 7);
	take_interrupts(1000);
	/* A real 8259 interrupt, where the firmware wired the 8259 to LINT0: the PIT's IRQ 0,
	 * which the firmware's mapping would have delivered as a double fault. */
	printk("kan: selftest: the 8259's IRQ 0 (the PIT) unmasked for 200 ms\n");
	pic_set_mask(0xfffe);
	take_interrupts(200000);
	pic_set_mask(0xffff);
	printk("kan: selftest: %lu interrupt(s) without a handler so far\n",
	       interrupt_stray_count());
}

/* selftest=xd-*: what each CPU's EFER says, since Bochs would not fault on a wrong one. */
static void report_nxe(unsigned cpu)
{
	printk("kan: selftest: cpu %u: EFER.NXE %d\n", cpu,
	       (rdmsr(MSR_IA32_EFER) & EFER_NXE) ? 1 : 0);
}

void selftest_early(enum kan_selftest test)
{
	selftest_chosen = test;
	if (test != SELFTEST_XD_DISABLED && test != SELFTEST_XD_LOCKED)
		return;
	/* Bochs ignores IA32_MISC_ENABLE (reads 0, drops writes), so the bit is pretended.
	 */
	printk("kan: selftest: every CPU acts as if firmware had set XD Bit Disable%s\n",
	       test == SELFTEST_XD_LOCKED ? ", and refuses to clear it" : "");
	nx_pretend(test == SELFTEST_XD_LOCKED ? NX_PRETEND_XD_LOCKED : NX_PRETEND_XD_DISABLED);
}

/* selftest=host-nmi: cpu 0 sends HOST_NMI_COUNT NMIs to cpu 1, which runs a CPU-bound
 * guest, so nearly all land in it (VM exits), and as many to itself, in kan. */
void selftest_host_nmi_tick(unsigned cpu)
{
	static unsigned sent;
	static uint64_t next;
	if (cpu != 0 || sent == HOST_NMI_COUNT || rdtsc() < next || cpus_running() < 2)
		return;
	if (sent == 0)
		printk("kan: selftest: cpu 0 sends %d NMIs to cpu 1 and %d to itself, one "
		       "every "
		       "%d us\n",
		       HOST_NMI_COUNT, HOST_NMI_COUNT, NMI_GAP_US);
	lapic_send_nmi(cpus[1].apic_id);
	lapic_send_nmi(cpus[0].apic_id);
	next = rdtsc() + time_us_to_tsc(NMI_GAP_US);
	if (++sent == HOST_NMI_COUNT)
		printk("kan: selftest: %d + %d NMIs sent\n", HOST_NMI_COUNT, HOST_NMI_COUNT);
}

/* Cpu 1's errand for selftest=machine-check. */
static void raise_machine_check(unsigned cpu)
{
	if (cpu != 1)
		return;
	printk("kan: selftest: cpu 1 raises a machine check (INT 18) while kan runs\n");
	__asm__ volatile("int $18");
}

void selftest_run(enum kan_selftest test)
{
	static uint8_t data_byte = 0xc3; /* a RET, in NX data */
	selftest_chosen = test;
	switch (test) {
	case SELFTEST_NONE:
		return;
	case SELFTEST_PAGEFAULT: {
		/* Above 4 GiB, unless RAM is mapped there: then where kan maps nothing. */
		uint64_t unmapped = (4ull << 30) + 0x1000;
		if (paging_lookup(unmapped))
			unmapped = PAGING_IDENTITY_LIMIT - 0x1000;
		printk("kan: selftest: reading unmapped address 0x%lx\n", unmapped);
		(void)*(volatile uint64_t *)unmapped;
		break;
	}
	case SELFTEST_WRITE_TEXT:
		printk("kan: selftest: writing into kan's code at %p\n", (void *)kernel_main);
		*(volatile uint8_t *)(uintptr_t)kernel_main = 0xcc;
		break;
	case SELFTEST_EXEC_DATA:
		printk("kan: selftest: calling into kan's data at %p\n", (void *)&data_byte);
		((void (*)(void))(uintptr_t)&data_byte)();
		break;
	case SELFTEST_STACK_OVERFLOW:
		printk("kan: selftest: overflowing the boot stack\n");
		recurse(0);
		break;
	case SELFTEST_SMEP:
		touch_user_page(true);
		break;
	case SELFTEST_SMAP:
		touch_user_page(false);
		break;
	case SELFTEST_AP_STACK_OVERFLOW:
		if (!have_cpu_1())
			return;
		cpus_send_errand(overflow_this_stack);
		wait_for_cpu_1();
		break;
	case SELFTEST_NMI:
		return; /* selftest_tick, once the VMs run */
	case SELFTEST_ENTRY_FAILURE:
		return; /* vmx_selftest_before_entry */
	case SELFTEST_STRAY_IRQ:
		send_stray_interrupts();
		return; /* kan goes on and runs its guests */
	case SELFTEST_XD_DISABLED:
	case SELFTEST_XD_LOCKED:
		report_nxe(0); /* the hook itself is in selftest_early */
		cpus_send_errand(report_nxe);
		return;
	case SELFTEST_HOST_NMI:
		return; /* selftest_tick */
	case SELFTEST_NO_PREEMPTION_TIMER:
		return; /* backend_probe */
	case SELFTEST_MACHINE_CHECK:
		if (!have_cpu_1())
			return;
		cpus_send_errand(raise_machine_check);
		wait_for_cpu_1();
		break;
	case SELFTEST_IST_STACK_OVERFLOW:
		if (!have_cpu_1())
			return;
		nmi_set_errand(overflow_nmi_stack);
		printk("kan: selftest: cpu 0 sends an NMI to cpu 1\n");
		lapic_send_nmi(cpus[1].apic_id);
		wait_for_cpu_1();
		break;
	}
	printk("kan: selftest: SURVIVED, kan is not protected\n");
}
