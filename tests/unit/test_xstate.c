/* XCR0 checks and save-area sizes (arch/x86_64/xstate.c): what XSETBV accepts from a guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/x86_64/xstate.h"

static void offer(uint64_t mask)
{
	xstate.xsave = true;
	xstate.mask = mask;
}

static void x87_is_always_required(void **state)
{
	(void)state;
	offer(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX);
	assert_true(xstate_xcr0_valid(XSTATE_X87));
	assert_false(xstate_xcr0_valid(0));
	assert_false(xstate_xcr0_valid(XSTATE_SSE));
	assert_false(xstate_xcr0_valid(XSTATE_SSE | XSTATE_AVX));
}

static void avx_needs_sse(void **state)
{
	(void)state;
	offer(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX);
	assert_true(xstate_xcr0_valid(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX));
	assert_false(xstate_xcr0_valid(XSTATE_X87 | XSTATE_AVX));
}

static void components_kan_does_not_offer_fault(void **state)
{
	(void)state;
	offer(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX);
	assert_false(xstate_xcr0_valid(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX | XSTATE_AVX512));
	assert_false(xstate_xcr0_valid(XSTATE_X87 | (1ull << 9)));  /* PKRU */
	assert_false(xstate_xcr0_valid(XSTATE_X87 | (1ull << 3)));  /* MPX */
	assert_false(xstate_xcr0_valid(XSTATE_X87 | (1ull << 17))); /* AMX */
	assert_false(xstate_xcr0_valid(XSTATE_X87 | (1ull << 63))); /* reserved */
}

static void avx512_components_go_together_and_need_avx(void **state)
{
	(void)state;
	offer(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX | XSTATE_AVX512);
	uint64_t base = XSTATE_X87 | XSTATE_SSE | XSTATE_AVX;
	assert_true(xstate_xcr0_valid(base | XSTATE_AVX512));
	assert_false(xstate_xcr0_valid(base | XSTATE_OPMASK));
	assert_false(xstate_xcr0_valid(base | XSTATE_OPMASK | XSTATE_ZMM_HI256));
	assert_false(xstate_xcr0_valid(XSTATE_X87 | XSTATE_SSE | XSTATE_AVX512));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x87_is_always_required),
		cmocka_unit_test(avx_needs_sse),
		cmocka_unit_test(components_kan_does_not_offer_fault),
		cmocka_unit_test(avx512_components_go_together_and_need_avx),
	};
	return cmocka_run_group_tests_name("xstate", tests, NULL, NULL);
}
