#include "arch/x86_64/backtrace.h"
#include "kernel/console.h"

#include <stdint.h>

extern char _kernel_start[], _kernel_end[], _text_end[];

void backtrace_print(void *frame_pointer)
{
	uint64_t *frame = frame_pointer;
	printk("  backtrace (addr2line -e build/kan.elf):");
	for (int depth = 0; depth < 16; depth++) {
		/* Stop at the chain's end or anything that is not a kan stack frame. */
		if (!frame || ((uint64_t)frame & 7) || (char *)frame < _kernel_start ||
		    (char *)frame >= _kernel_end)
			break;
		uint64_t ret = frame[1];
		if (ret < (uint64_t)_kernel_start || ret >= (uint64_t)_text_end)
			break;
		printk(" %lx", ret);
		frame = (uint64_t *)frame[0];
	}
	printk("\n");
}
