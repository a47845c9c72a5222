/* The controls kan programs (vmx_choose_controls, vmx_adjust_controls in vmx/vmx_controls.c)
 * from capability MSRs as real CPUs report them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vmx/vmx_cpu.h"
#include "vmx/vmx_defs.h"

/*
 * Capability MSRs (SDM A.3): low half = allowed 0-settings (a 1 there means the bit must be 1),
 * high half = allowed 1-settings (a 0 there means the bit must be 0). The values Bochs 2.7
 * reports as corei7_skylake_x and corei7_sandy_bridge_2600k (read by kan under Bochs, printed
 * once for this test): the TRUE control MSRs, PROCBASED_CTLS2, MISC and EPT_VPID_CAP.
 */
static const struct vmx_caps skylake = {
	.basic = 0x00d810000000002bull,
	.revision = 0x2b,
	.pin = 0x0000007f00000016ull,
	.proc = 0xf7f9fffe04006172ull,
	.proc2 = 0x02177fff00000000ull,
	.exit = 0x007fffff00036dfbull,
	.entry = 0x0000ffff000011fbull,
	.misc = 0x00000000600401e0ull,
	.ept_vpid = 0x00000f0106334141ull,
};

static const struct vmx_caps sandy_bridge = {
	.basic = 0x00d810000000002bull,
	.revision = 0x2b,
	.pin = 0x0000007f00000016ull,
	.proc = 0xf7f9fffe04006172ull,
	.proc2 = 0x000000ff00000000ull,
	.exit = 0x007fffff00036dfbull,
	.entry = 0x0000ffff000011fbull,
	.misc = 0x00000000000401e0ull,
	.ept_vpid = 0x00000f0106114141ull,
};

/* The bits these CPUs force on (the low halves above). */
#define PIN_MUST_BE_ONE	  0x00000016u
#define PROC_MUST_BE_ONE  0x04006172u
#define EXIT_MUST_BE_ONE  0x00036dfbu
#define ENTRY_MUST_BE_ONE 0x000011fbu

/* The exits kan's policy (docs/security.md) rests on: kan's own interrupts, NMIs and the end
 * of its slice end a guest's turn; HLT, every port, debug registers, CR8, MWAIT, MONITOR and
 * RDPMC exit. TSC offsetting: a restored snapshot's TSC continues (vmx/vmx_snapshot.c). */
#define KAN_PIN (PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER)
#define KAN_PROC                                                                                   \
	(PROC_HLT_EXITING | PROC_UNCONDITIONAL_IO_EXITING | PROC_MOV_DR_EXITING |                  \
	 PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING | PROC_MWAIT_EXITING |                     \
	 PROC_MONITOR_EXITING | PROC_RDPMC_EXITING | PROC_ACTIVATE_SECONDARY |                     \
	 PROC_USE_TSC_OFFSETTING)
#define KAN_EXIT                                                                                   \
	(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |                   \
	 EXIT_SAVE_PREEMPTION_TIMER | EXIT_ACK_INTERRUPT_ON_EXIT)

static void kan_controls_on_skylake(void **state)
{
	(void)state;
	struct vmx_controls c;
	vmx_choose_controls(&skylake, &c);
	assert_int_equal(c.pin, PIN_MUST_BE_ONE | KAN_PIN);
	assert_int_equal(c.proc, PROC_MUST_BE_ONE | KAN_PROC);
	assert_int_equal(c.proc2, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID |
					  PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
					  PROC2_WBINVD_EXITING);
	assert_int_equal(c.exit,
			 EXIT_MUST_BE_ONE | KAN_EXIT | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT);
	assert_int_equal(c.entry, ENTRY_MUST_BE_ONE | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT);
	assert_int_equal(c.preemption_timer_shift, 0);
	assert_int_equal(c.ept_largest_level, 3); /* 1 GiB pages */
	/* The same figures as plain numbers, as kan printed them under Bochs. */
	assert_int_equal(c.pin, 0x5f);
	assert_int_equal(c.proc, 0xa5986dfa); /* 0x8: TSC offsetting */
	assert_int_equal(c.proc2, 0x10ea);
	assert_int_equal(c.exit, 0x7feffb);
	assert_int_equal(c.entry, 0xd1fb);
}

static void kan_controls_on_sandy_bridge(void **state)
{
	(void)state;
	struct vmx_controls c;
	vmx_choose_controls(&sandy_bridge, &c);
	assert_int_equal(c.pin, PIN_MUST_BE_ONE | KAN_PIN);
	assert_int_equal(c.proc, PROC_MUST_BE_ONE | KAN_PROC);
	/* No INVPCID on this CPU: kan does not ask for it. */
	assert_int_equal(c.proc2, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID |
					  PROC2_ENABLE_RDTSCP | PROC2_WBINVD_EXITING);
	assert_int_equal(c.ept_largest_level, 2); /* 2 MiB pages, no 1 GiB */
}

static void no_guest_reaches_ports_or_msrs_through_a_bitmap(void **state)
{
	(void)state;
	/* Without I/O and MSR bitmaps every IN, OUT, RDMSR and WRMSR exits (SDM 25.1.3). */
	const struct vmx_caps *cpus[] = { &skylake, &sandy_bridge };
	for (unsigned i = 0; i < 2; i++) {
		struct vmx_controls c;
		vmx_choose_controls(cpus[i], &c);
		assert_int_equal(c.proc & (PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS), 0);
		assert_true(c.proc & PROC_UNCONDITIONAL_IO_EXITING);
		assert_int_equal(c.proc2 & PROC2_VIRTUALIZE_APIC_ACCESSES, 0);
	}
}

static void without_pat_switching_kan_neither_saves_nor_loads_pat(void **state)
{
	(void)state;
	struct vmx_caps cpu = skylake;
	cpu.entry &= ~((uint64_t)ENTRY_LOAD_IA32_PAT << 32);
	struct vmx_controls c;
	vmx_choose_controls(&cpu, &c);
	/* Saving PAT on exit without loading it on entry would leak one VM's PAT to the next. */
	assert_int_equal(c.exit, EXIT_MUST_BE_ONE | KAN_EXIT);
	assert_int_equal(c.entry, ENTRY_MUST_BE_ONE | ENTRY_LOAD_IA32_EFER);
}

static void optional_secondary_controls_follow_the_cpu(void **state)
{
	(void)state;
	struct vmx_caps cpu = skylake;
	cpu.proc2 &=
		~((uint64_t)(PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_WBINVD_EXITING) << 32);
	struct vmx_controls c;
	vmx_choose_controls(&cpu, &c);
	assert_int_equal(c.proc2,
			 PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_INVPCID);
}

static void timer_rate_and_ept_page_size_come_from_the_cpu(void **state)
{
	(void)state;
	struct vmx_caps cpu = skylake;
	cpu.misc = (cpu.misc & ~0x1full) | 5; /* the timer counts every 32 TSC ticks */
	cpu.ept_vpid &= ~(EPT_CAP_1GB_PAGES | EPT_CAP_2MB_PAGES);
	struct vmx_controls c;
	vmx_choose_controls(&cpu, &c);
	assert_int_equal(c.preemption_timer_shift, 5);
	assert_int_equal(c.ept_largest_level, 1);
}

struct vmx_controls vmx_controls; /* vmx_caps.c's, which the inline helpers read */

/* A VM with several vCPUs exits on PAUSE loops; a lone vCPU's PAUSEs stay its own. */
static void pause_loops_exit_only_in_vms_with_several_vcpus(void **state)
{
	(void)state;
	static struct vm one = { .vcpu_count = 1 }, two = { .vcpu_count = 2 };
	static struct vcpu lone = { .vm = &one }, sibling = { .vm = &two };
	/* Skylake offers PAUSE-loop exiting: the CPU spots the loop. */
	vmx_choose_controls(&skylake, &vmx_controls);
	assert_int_equal(vmx_controls.pause_proc2, PROC2_PAUSE_LOOP_EXITING);
	assert_int_equal(vmx_controls.pause_proc, 0);
	assert_int_equal(vmx_proc2_controls(&lone), vmx_controls.proc2);
	assert_int_equal(vmx_proc2_controls(&sibling),
			 vmx_controls.proc2 | PROC2_PAUSE_LOOP_EXITING);
	assert_int_equal(vmx_proc_controls(&sibling), vmx_controls.proc);
	/* Sandy Bridge (as Bochs has it) only exits on every PAUSE: kernel/pause_loop.c judges. */
	vmx_choose_controls(&sandy_bridge, &vmx_controls);
	assert_int_equal(vmx_controls.pause_proc2, 0);
	assert_int_equal(vmx_controls.pause_proc, PROC_PAUSE_EXITING);
	assert_int_equal(vmx_proc_controls(&lone), vmx_controls.proc);
	assert_int_equal(vmx_proc_controls(&sibling), vmx_controls.proc | PROC_PAUSE_EXITING);
	assert_int_equal(vmx_proc2_controls(&sibling), vmx_controls.proc2);
	/* Neither: PAUSE never exits. */
	struct vmx_caps cpu = sandy_bridge;
	cpu.proc &= ~((uint64_t)PROC_PAUSE_EXITING << 32);
	vmx_choose_controls(&cpu, &vmx_controls);
	assert_int_equal(vmx_proc_controls(&sibling), vmx_controls.proc);
	assert_int_equal(vmx_proc2_controls(&sibling), vmx_controls.proc2);
	assert_int_equal(vmx_controls.proc & PROC_PAUSE_EXITING, 0);
}

static void wanted_bits_the_cpu_allows_are_set_and_none_missing(void **state)
{
	(void)state;
	uint32_t missing = 0xdead;
	uint32_t value = vmx_adjust_controls(0x000000ff00000000ull, 0x49, &missing);
	assert_int_equal(value, 0x49);
	assert_int_equal(missing, 0);
}

static void must_be_one_bits_are_forced_on_even_if_not_wanted(void **state)
{
	(void)state;
	uint32_t missing;
	uint32_t value = vmx_adjust_controls(skylake.pin, KAN_PIN, &missing);
	assert_int_equal(value, KAN_PIN | PIN_MUST_BE_ONE);
	assert_int_equal(missing, 0);
}

static void nothing_wanted_gives_exactly_the_must_be_one_bits(void **state)
{
	(void)state;
	uint32_t missing;
	assert_int_equal(vmx_adjust_controls(skylake.pin, 0, &missing), PIN_MUST_BE_ONE);
	assert_int_equal(missing, 0);
	assert_int_equal(vmx_adjust_controls(skylake.proc, 0, &missing), PROC_MUST_BE_ONE);
	assert_int_equal(missing, 0);
}

static void a_wanted_bit_the_cpu_lacks_is_cleared_and_reported_missing(void **state)
{
	(void)state;
	uint32_t missing;
	/* A CPU without the VMX-preemption timer: allowed-1 bit 6 is clear. */
	uint32_t value = vmx_adjust_controls(0x0000003f00000016ull, KAN_PIN, &missing);
	assert_int_equal(missing, PIN_PREEMPTION_TIMER);
	assert_int_equal(value & PIN_PREEMPTION_TIMER, 0);
	assert_int_equal(value, 0x1f);
}

static void a_capability_allowing_nothing_reports_every_wanted_bit_missing(void **state)
{
	(void)state;
	uint32_t missing;
	uint32_t wanted = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID;
	assert_int_equal(vmx_adjust_controls(0, wanted, &missing), 0);
	assert_int_equal(missing, wanted);
}

static void must_be_zero_bits_stay_clear_even_if_wanted(void **state)
{
	(void)state;
	uint32_t missing;
	/* Skylake TRUE procbased: allowed-1 bits 0, 17 and 18 are clear. */
	uint32_t wanted = (1u << 0) | (1u << 17) | PROC_HLT_EXITING;
	uint32_t value = vmx_adjust_controls(skylake.proc, wanted, &missing);
	assert_int_equal(value & ((1u << 0) | (1u << 17) | (1u << 18)), 0);
	assert_int_equal(missing, (1u << 0) | (1u << 17));
	assert_true(value & PROC_HLT_EXITING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kan_controls_on_skylake),
		cmocka_unit_test(kan_controls_on_sandy_bridge),
		cmocka_unit_test(no_guest_reaches_ports_or_msrs_through_a_bitmap),
		cmocka_unit_test(without_pat_switching_kan_neither_saves_nor_loads_pat),
		cmocka_unit_test(optional_secondary_controls_follow_the_cpu),
		cmocka_unit_test(timer_rate_and_ept_page_size_come_from_the_cpu),
		cmocka_unit_test(pause_loops_exit_only_in_vms_with_several_vcpus),
		cmocka_unit_test(wanted_bits_the_cpu_allows_are_set_and_none_missing),
		cmocka_unit_test(must_be_one_bits_are_forced_on_even_if_not_wanted),
		cmocka_unit_test(nothing_wanted_gives_exactly_the_must_be_one_bits),
		cmocka_unit_test(a_wanted_bit_the_cpu_lacks_is_cleared_and_reported_missing),
		cmocka_unit_test(a_capability_allowing_nothing_reports_every_wanted_bit_missing),
		cmocka_unit_test(must_be_zero_bits_stay_clear_even_if_wanted),
	};
	return cmocka_run_group_tests_name("vmx_controls", tests, NULL, NULL);
}
