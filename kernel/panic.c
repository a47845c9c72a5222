#include "kernel/panic.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "drivers/platform_exit.h"
#include "kernel/console.h"
#include "kernel/format.h"

#include <stdarg.h>

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	interrupts_disable();
	console_force_unlock();
	printk("kan: PANIC: %s\n", msg);
	backtrace_print(__builtin_frame_address(0));
	kan_shutdown(2, "panic");
}

void kan_shutdown(int code, const char *why)
{
	printk("kan: shutdown (%s)\n", why);
	console_flush();
	platform_exit((uint8_t)code);
}
