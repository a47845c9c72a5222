/* Which VM exits a trace records: `trace on exits=io,msr` names them by kan's exit names. */
#ifndef KAN_KERNEL_TRACE_SELECT_H
#define KAN_KERNEL_TRACE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether `word` (len characters) selects the exit called `name` ("I/O instruction", "RDMSR",
 * "IOIO"): with case and everything but letters and digits ignored, the word begins or ends
 * the name. So io selects VT-x's "I/O instruction" and AMD-V's "IOIO", msr "RDMSR", "WRMSR"
 * and "MSR", ept both EPT exits, and the whole name selects exactly that exit. */
bool trace_exit_name_matches(const char *name, const char *word, size_t len);

#endif
