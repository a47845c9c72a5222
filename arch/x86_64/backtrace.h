/* Walks the frame-pointer chain so a crash report shows how kan got there. */
#ifndef KAN_ARCH_BACKTRACE_H
#define KAN_ARCH_BACKTRACE_H

/* Prints return addresses; resolve them with: addr2line -e build/kan.elf ADDR */
void backtrace_print(void *frame_pointer);

#endif
