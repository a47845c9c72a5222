/* The PC board of a Linux VM (kernel/devices/pcboard.c): empty PCI, reset ports, ACPI PM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/vm.h"

/* What the board asked of the VM, in place of kernel/vm.c. */
static int resets, power_offs;
static char last_how[64];

void vm_request_reset(struct vm *vm, const char *how)
{
	(void)vm;
	resets++;
	strncpy(last_how, how, sizeof(last_how) - 1);
}

void vm_power_off(struct vm *vm, const char *how)
{
	(void)vm;
	power_offs++;
	strncpy(last_how, how, sizeof(last_how) - 1);
}

static struct vm vm;

/* kan's wall clock, fixed for the test: 2026-11-22 04:05:06 UTC, a Sunday. */
uint64_t time_wall_seconds(void)
{
	return 1795320306;
}

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	resets = power_offs = 0;
	last_how[0] = '\0';
	pcboard_reset(&vm.board, &vm, 4000000, 0);
	pcboard_attach(&vm.board, &vm);
	return 0;
}

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0x12345678;
	iobus_access(&vm.io, port, size, false, &v);
	return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
	iobus_access(&vm.io, port, size, true, &v);
}

static void pci_config_space_is_an_empty_bus(void **state)
{
	(void)state;
	out(0xcf8, 4, 0x80000000);
	assert_int_equal(in(0xcf8, 4), 0x80000000); /* what Linux's type 1 probe checks */
	assert_int_equal(in(0xcfc, 4), 0xffffffff); /* vendor ID 0xffff: no device */
	out(0xcf8, 4, 0x80001803);		    /* reserved low bits read as 0 */
	assert_int_equal(in(0xcf8, 4), 0x80001800);
	assert_int_equal(in(0xcfe, 2), 0xffff);
	out(0xcfc, 4, 0); /* a write to no device goes nowhere */
	assert_int_equal(in(0xcfc, 1), 0xff);
	assert_int_equal(vm.io.unowned_accesses, 0);
	out(0xcf8, 4, 0);
	assert_int_equal(in(0xcfc, 4), 0xffffffff); /* not a config cycle: absent, counted */
	assert_int_equal(in(0xcfa, 1), 0xff);
	assert_int_equal(vm.io.unowned_accesses, 2);
	assert_int_equal(resets + power_offs, 0);
}

static void the_reset_control_register_resets_only_with_rst_cpu(void **state)
{
	(void)state;
	out(0xcf9, 1, 0x02); /* SYS_RST alone arms; it does not reset */
	assert_int_equal(resets, 0);
	assert_int_equal(in(0xcf9, 1), 0x02);
	out(0xcf9, 1, 0x06);
	assert_int_equal(resets, 1);
	assert_string_equal(last_how, "reset control register 0xcf9");
	assert_int_equal(in(0xcf8, 4), 0); /* the dword address register is untouched */
}

static void the_keyboard_controller_knows_only_the_reset_pulse(void **state)
{
	(void)state;
	assert_int_equal(in(0x64, 1), 0xff); /* no 8042 here, as the FADT says */
	out(0x64, 1, 0xd1);
	assert_int_equal(resets, 0);
	assert_int_equal(vm.io.unowned_accesses, 2);
	out(0x64, 1, 0xfe);
	assert_int_equal(resets, 1);
	assert_string_equal(last_how, "keyboard controller reset pulse");
}

static void slp_en_with_the_s5_type_powers_off(void **state)
{
	(void)state;
	assert_int_equal(in(0x604, 2) & 1, 1);	     /* SCI_EN: in ACPI mode */
	out(0x604, 2, 1 | PCBOARD_S5_SLP_TYP << 10); /* the type first, as ACPICA does */
	assert_int_equal(power_offs, 0);
	out(0x604, 2, 3u << 10 | 0x2000); /* S3 is not offered: nothing happens */
	assert_int_equal(power_offs, 0);
	assert_int_equal(in(0x604, 2) & 0x2000, 0); /* SLP_EN reads as 0 */
	out(0x604, 2, 1 | PCBOARD_S5_SLP_TYP << 10 | 0x2000);
	assert_int_equal(power_offs, 1);
	assert_string_equal(last_how, "ACPI S5 through PM1a_CNT");
}

static void pm1_status_clears_by_writing_ones_and_enable_keeps_its_value(void **state)
{
	(void)state;
	vm.board.pm1_status = 0x8001;
	out(0x600, 2, 0x0001);
	assert_int_equal(in(0x600, 2), 0x8000);
	out(0x602, 2, 0x0120);
	assert_int_equal(in(0x602, 2), 0x0120);
	assert_int_equal(in(0x600, 4), 0x01208000); /* status and enable in one dword */
}

static void the_pm_timer_counts_at_3_58_mhz_in_24_bits(void **state)
{
	(void)state;
	/* A 4 MHz TSC: one second of TSC is 3579545 PM timer ticks. */
	uint64_t now = __builtin_ia32_rdtsc();
	pcboard_reset(&vm.board, &vm, 4000000, now - 4000000);
	uint32_t t = in(0x608, 4);
	assert_true(t >= 3579545 - 2 && t <= 0xffffff);
	pcboard_reset(&vm.board, &vm, 4000000, now - 4000000ull * 5); /* past 2^24 ticks */
	t = in(0x608, 4);
	assert_true(t <= 0xffffff);
	assert_true(((t - (3579545ull * 5 & 0xffffff)) & 0xffffff) < 900000); /* it wrapped */
}

static void a_start_from_a_cpu_whose_tsc_is_ahead_reads_zero_not_a_wrap(void **state)
{
	(void)state;
	/* The board was reset on the boot CPU, whose TSC is a second ahead of this one's. */
	pcboard_reset(&vm.board, &vm, 4000000, __builtin_ia32_rdtsc() + 4000000);
	assert_int_equal(in(0x608, 4), 0);
}

/* A snapshot's restore: the copy's registers into another VM's board, whose PM timer goes on
 * from the copy's value although it is read later on kan's clock. */
static void a_copy_keeps_its_vm_and_its_pm_timer_value(void **state)
{
	(void)state;
	uint64_t now = __builtin_ia32_rdtsc();
	pcboard_reset(&vm.board, &vm, 4000000, now - 4000000); /* a second ago: 3579545 */
	out(0x602, 2, 0x0120);
	out(0x70, 1, 0x40);
	out(0x71, 1, 0x5a);
	struct vm other;
	memset(&other, 0, sizeof(other));
	pcboard_reset(&other.board, &other, 4000000, now);
	/* Away for ten seconds: without the shift the copy's timer would read 11 s. */
	pcboard_copy_state(&other.board, &vm.board, 4000000ull * 10);
	assert_ptr_equal(other.board.vm, &other);
	assert_int_equal(other.board.pm1_enable, 0x0120);
	assert_int_equal(other.board.cmos[0x40], 0x5a);
	assert_int_equal(other.board.pm_timer_start_tsc, now - 4000000 + 4000000ull * 10);
}

static uint8_t cmos(uint8_t reg)
{
	out(0x70, 1, 0x80 | reg); /* with the NMI mask bit, as Linux writes it */
	return (uint8_t)in(0x71, 1);
}

static void the_cmos_rtc_shows_kans_wall_clock_in_bcd(void **state)
{
	(void)state;
	assert_int_equal(cmos(0x00), 0x06);
	assert_int_equal(cmos(0x02), 0x05);
	assert_int_equal(cmos(0x04), 0x04);
	assert_int_equal(cmos(0x06), 0x01); /* Sunday */
	assert_int_equal(cmos(0x07), 0x22);
	assert_int_equal(cmos(0x08), 0x11);
	assert_int_equal(cmos(0x09), 0x26);
	assert_int_equal(cmos(PCBOARD_CMOS_CENTURY), 0x20);
	assert_int_equal(cmos(0x0a) & 0x80, 0); /* never in an update */
	assert_int_equal(cmos(0x0b), 0x02);	/* BCD, 24-hour */
	assert_int_equal(cmos(0x0d), 0x80);	/* valid */
	assert_int_equal(cmos(0x01), 0x00);	/* the alarm registers are not the clock */
	assert_int_equal(cmos(0x05), 0x00);
}

static void the_guest_keeps_cmos_ram_but_cannot_set_the_clock(void **state)
{
	(void)state;
	out(0x70, 1, 0x00);
	out(0x71, 1, 0x59);
	assert_int_equal(cmos(0x00), 0x06);
	out(0x70, 1, 0x40);
	out(0x71, 1, 0xab);
	assert_int_equal(cmos(0x40), 0xab);
	assert_int_equal(in(0x70, 1), 0xff); /* the index is write-only */
	assert_int_equal(vm.io.unowned_accesses, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pci_config_space_is_an_empty_bus, setup),
		cmocka_unit_test_setup(the_reset_control_register_resets_only_with_rst_cpu, setup),
		cmocka_unit_test_setup(the_keyboard_controller_knows_only_the_reset_pulse, setup),
		cmocka_unit_test_setup(slp_en_with_the_s5_type_powers_off, setup),
		cmocka_unit_test_setup(pm1_status_clears_by_writing_ones_and_enable_keeps_its_value,
				       setup),
		cmocka_unit_test_setup(the_pm_timer_counts_at_3_58_mhz_in_24_bits, setup),
		cmocka_unit_test_setup(a_start_from_a_cpu_whose_tsc_is_ahead_reads_zero_not_a_wrap,
				       setup),
		cmocka_unit_test_setup(the_cmos_rtc_shows_kans_wall_clock_in_bcd, setup),
		cmocka_unit_test_setup(a_copy_keeps_its_vm_and_its_pm_timer_value, setup),
		cmocka_unit_test_setup(the_guest_keeps_cmos_ram_but_cannot_set_the_clock, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
