/* kan's management shell on COM1: the prompt, the commands, attaching to a VM's console. */
#ifndef KAN_KERNEL_SHELL_H
#define KAN_KERNEL_SHELL_H

#include <stdbool.h>

/* From the UART interrupt: one received byte. True when a command line is complete. */
bool shell_input(char c);
/* On the boot CPU's scheduler loop: runs the commands typed since the last call. */
void shell_poll(void);
/* Prints the prompt: after a command whose output ends later (trace dump). */
void shell_prompt(void);
/* Prints the first prompt (once the VMs run). */
void shell_start(void);

#endif
