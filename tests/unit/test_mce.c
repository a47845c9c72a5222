/* Machine-check decoding (arch/x86_64/mce_decode.c): when kan must stop, and the words it
 * prints for a bank. No emulator here raises a real #MC, so this is where the banks are read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/mce.h"

#define VAL   MCI_STATUS_VAL
#define RIPV  MCG_STATUS_RIPV
#define MCIP  MCG_STATUS_MCIP
#define UC_EN (MCI_STATUS_UC | MCI_STATUS_EN)

static void no_restart_point_is_fatal_even_with_empty_banks(void **state)
{
	(void)state;
	assert_true(mce_fatal(0, NULL, 0)); /* INT 18 in Bochs: MCG_STATUS reads 0 */
	assert_true(mce_fatal(MCIP, NULL, 0));
	assert_false(mce_fatal(RIPV | MCIP, NULL, 0));
}

static void a_corrected_error_lets_kan_go_on(void **state)
{
	(void)state;
	uint64_t banks[4] = { 0, VAL | 0x0150, 0, VAL | MCI_STATUS_EN | 0x0005 };
	assert_false(mce_fatal(RIPV | MCIP, banks, 4));
}

static void an_uncorrected_signalled_error_or_a_corrupt_context_is_fatal(void **state)
{
	(void)state;
	uint64_t uc[3] = { 0, 0, VAL | UC_EN | 0x0150 };
	assert_true(mce_fatal(RIPV | MCIP, uc, 3));
	uint64_t pcc[2] = { VAL | MCI_STATUS_PCC, 0 };
	assert_true(mce_fatal(RIPV | MCIP, pcc, 2));
	/* Uncorrected but not enabled (logged, did not signal): not this #MC's cause. */
	uint64_t uc_quiet[1] = { VAL | MCI_STATUS_UC };
	assert_false(mce_fatal(RIPV | MCIP, uc_quiet, 1));
	/* An invalid bank's bits mean nothing. */
	uint64_t stale[1] = { UC_EN | MCI_STATUS_PCC };
	assert_false(mce_fatal(RIPV, stale, 1));
	/* Only the banks counted are read. */
	assert_false(mce_fatal(RIPV, uc, 2));
}

static void banks_are_described_in_words(void **state)
{
	(void)state;
	char s[160];
	mce_describe(VAL | UC_EN | MCI_STATUS_PCC | MCI_STATUS_ADDRV | (0x12ull << 16) | 0x0150, s,
		     sizeof(s));
	assert_string_equal(s, "uncorrected, enabled, context corrupt, with address, MCA error "
			       "code 0x150, model-specific 0x12");
	mce_describe(VAL | MCI_STATUS_OVER | 0x0005, s, sizeof(s));
	assert_string_equal(s, "corrected, overflowed (an error was lost), MCA error code 0x5, "
			       "model-specific 0x0");
	mce_describe(VAL | UC_EN | MCI_STATUS_S | MCI_STATUS_AR | 0x0134, s, sizeof(s));
	assert_string_equal(s, "uncorrected, enabled, action required, MCA error code 0x134, "
			       "model-specific 0x0");
	mce_describe(VAL | UC_EN | MCI_STATUS_S | 0x017a, s, sizeof(s));
	assert_string_equal(s, "uncorrected, enabled, action optional, MCA error code 0x17a, "
			       "model-specific 0x0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_restart_point_is_fatal_even_with_empty_banks),
		cmocka_unit_test(a_corrected_error_lets_kan_go_on),
		cmocka_unit_test(an_uncorrected_signalled_error_or_a_corrupt_context_is_fatal),
		cmocka_unit_test(banks_are_described_in_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
