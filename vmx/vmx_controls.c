/* Control-field adjustment (SDM Vol. 3D, A.3-A.5): pure logic, unit-tested on the host. */
#include "vmx/vmx_cpu.h"

uint32_t vmx_adjust_controls(uint64_t capability, uint32_t wanted, uint32_t *missing)
{
	uint32_t must_be_one = (uint32_t)capability;	    /* allowed 0-settings */
	uint32_t may_be_one = (uint32_t)(capability >> 32); /* allowed 1-settings */
	*missing = wanted & ~may_be_one;
	return (wanted | must_be_one) & may_be_one;
}
